// The x86-64 clone3 trampoline. The kernel returns into the child on the given stack with every register
// but rax (0), rcx and r11 kept, so the function and its argument ride in rdx and r8; the child calls
// fn(arg), then exit(2) with its result. Other architectures have none (CANFORK_HAS_CLONE3_TRAMPOLINE).
#include "clone3.h"

#if CANFORK_HAS_CLONE3_TRAMPOLINE

extern "C" long canfork_clone3(struct clone_args* args, size_t size, int (*fn)(void*), void* arg);
asm(R"(
  .text
  .globl canfork_clone3
  .hidden canfork_clone3
  .type canfork_clone3, @function
canfork_clone3:
  mov %rcx, %r8
  mov $435, %eax
  syscall
  test %rax, %rax
  jz 1f
  ret
1:
  xor %ebp, %ebp
  and $-16, %rsp
  mov %r8, %rdi
  call *%rdx
  mov %eax, %edi
  mov $60, %eax
  syscall
  hlt
  .size canfork_clone3, .-canfork_clone3
)");

namespace canfork::core {

long Clone3(struct clone_args* args, int (*fn)(void*), void* arg) { return canfork_clone3(args, sizeof(*args), fn, arg); }

}  // namespace canfork::core

#endif
