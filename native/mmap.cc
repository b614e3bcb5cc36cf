// Anonymous private mappings that are never touched, and the no-touch trial allocation.
#include <sys/mman.h>

#include <atomic>
#include <cerrno>
#include <cmath>

#include "addon.h"

namespace canfork {
namespace {

// Mappings live in the process's one address space, so the count is process-wide, not per instance.
std::atomic<int64_t> liveMappings{0};

size_t LengthArg(const Napi::CallbackInfo& info, size_t index) {
  double length = NumberArg(info, index, "length");
  if (!(length >= 1 && length <= kMaxSafeInteger) || std::floor(length) != length) {
    throw Napi::RangeError::New(info.Env(), "length must be a positive safe integer");
  }
  return static_cast<size_t>(length);
}

// Private, read-write, anonymous: exactly what accountable_mapping() in mm/mmap.c charges,
// unless MAP_NORESERVE lets modes 0 and 1 skip the charge.
void* MapAnonymous(size_t length, bool noreserve) {
  int flags = MAP_PRIVATE | MAP_ANONYMOUS | (noreserve ? MAP_NORESERVE : 0);
  return mmap(nullptr, length, PROT_READ | PROT_WRITE, flags, -1, 0);
}

// A mapping handed to JavaScript. It owns the range: unmap() or garbage collection releases it,
// and it can never unmap what it did not map or unmap twice.
class NativeMapping : public Napi::ObjectWrap<NativeMapping> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "NativeMapping",
                       {InstanceAccessor<&NativeMapping::Address>("address"),
                        InstanceAccessor<&NativeMapping::Length>("length"),
                        InstanceAccessor<&NativeMapping::Mapped>("mapped"),
                        InstanceMethod<&NativeMapping::Unmap>("unmap")});
  }

  // new NativeMapping(length, noreserve, dontfork)
  explicit NativeMapping(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativeMapping>(info) {
    Napi::Env env = info.Env();
    size_t length = LengthArg(info, 0);
    bool noreserve = BoolArg(info, 1, "noreserve");
    bool dontfork = BoolArg(info, 2, "dontfork");
    void* address = MapAnonymous(length, noreserve);
    if (address == MAP_FAILED) throw SystemError(env, errno, "mmap");
    if (dontfork && madvise(address, length, MADV_DONTFORK) != 0) {
      int madviseErrno = errno;
      munmap(address, length);
      throw SystemError(env, madviseErrno, "madvise");
    }
    address_ = address;
    length_ = length;
    ++liveMappings;
  }

  ~NativeMapping() override { Release(); }

 private:
  // Returns the munmap errno, or 0.
  int Release() {
    if (address_ == nullptr) return 0;
    int result = munmap(address_, length_) == 0 ? 0 : errno;
    address_ = nullptr;
    --liveMappings;
    return result;
  }

  Napi::Value Address(const Napi::CallbackInfo& info) {
    return Napi::BigInt::New(info.Env(), static_cast<uint64_t>(reinterpret_cast<uintptr_t>(address_)));
  }
  Napi::Value Length(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), static_cast<double>(length_)); }
  Napi::Value Mapped(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), address_ != nullptr); }

  void Unmap(const Napi::CallbackInfo& info) {
    int result = Release();
    if (result != 0) throw SystemError(info.Env(), result, "munmap");
  }

  void* address_ = nullptr;
  size_t length_ = 0;
};

// tryAllocate(bytes) -> 0 or the errno the kernel's accounting answered with. The range is never
// touched, so RSS does not move; it is unmapped before returning.
Napi::Value TryAllocate(const Napi::CallbackInfo& info) {
  size_t length = LengthArg(info, 0);
  void* address = MapAnonymous(length, false);
  if (address == MAP_FAILED) return Napi::Number::New(info.Env(), errno);
  munmap(address, length);
  return Napi::Number::New(info.Env(), 0);
}

Napi::Value LiveMappingCount(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(liveMappings.load()));
}

}  // namespace

void InitMmap(Napi::Env env, Napi::Object exports) {
  exports.Set("NativeMapping", NativeMapping::Define(env));
  exports.Set("tryAllocate", Napi::Function::New(env, TryAllocate, "tryAllocate"));
  exports.Set("liveMappingCount", Napi::Function::New(env, LiveMappingCount, "liveMappingCount"));
}

}  // namespace canfork
