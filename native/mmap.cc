// Anonymous private mappings that are never touched, and the no-touch trial allocation.
#include <sys/mman.h>

#include <atomic>
#include <cerrno>

#include "addon.h"

namespace canfork {
namespace {

// Mappings live in the process's one address space, so the count is process-wide, not per instance.
std::atomic<int64_t> liveMappings{0};

size_t LengthArg(const Napi::CallbackInfo& info, size_t index) {
  return static_cast<size_t>(IntegerArg(info, index, "length", 1, kMaxSafeInteger, "length must be a positive safe integer"));
}

// Private, read-write, anonymous: exactly what accountable_mapping() in mm/mmap.c charges,
// unless MAP_NORESERVE lets modes 0 and 1 skip the charge.
void* MapAnonymous(size_t length, bool noreserve) {
  int flags = MAP_PRIVATE | MAP_ANONYMOUS | (noreserve ? MAP_NORESERVE : 0);
  return mmap(nullptr, length, PROT_READ | PROT_WRITE, flags, -1, 0);
}

// The range a handle owns. munmap() or the handle's finalizer (garbage collection, or the teardown of
// the environment) releases it; it can never unmap what it did not map, or unmap twice.
struct MappedRange {
  void* address;
  size_t length;

  int Release() {  // 0 or a negative errno
    if (address == nullptr) return 0;
    int result = munmap(address, length) == 0 ? 0 : -errno;
    address = nullptr;
    --liveMappings;
    return result;
  }
};

void FinalizeRange(napi_env, void* data, void*) {
  MappedRange* range = static_cast<MappedRange*>(data);
  range->Release();
  delete range;
}

MappedRange& RangeArg(const Napi::CallbackInfo& info) {
  void* data = nullptr;
  if (!info[0].IsObject() || napi_unwrap(info.Env(), info[0], &data) != napi_ok || data == nullptr) {
    throw Napi::TypeError::New(info.Env(), "argument 'handle' must be a mapping handle");
  }
  return *static_cast<MappedRange*>(data);
}

// mmap(length, noreserve) -> { address: bigint, length } (a handle owning the range) or a negative errno
Napi::Value Mmap(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  size_t length = LengthArg(info, 0);
  bool noreserve = BoolArg(info, 1, "noreserve");
  void* address = MapAnonymous(length, noreserve);
  if (address == MAP_FAILED) return Napi::Number::New(env, -errno);
  MappedRange* range = new MappedRange{address, length};
  ++liveMappings;
  try {
    Napi::Object handle = Napi::Object::New(env);
    handle.Set("address", Napi::BigInt::New(env, static_cast<uint64_t>(reinterpret_cast<uintptr_t>(address))));
    handle.Set("length", Napi::Number::New(env, static_cast<double>(length)));
    NAPI_THROW_IF_FAILED(env, napi_wrap(env, handle, range, FinalizeRange, nullptr, nullptr), Napi::Value());
    return handle;
  } catch (...) {
    FinalizeRange(env, range, nullptr);  // the environment is stopping: nobody could unmap it later
    throw;
  }
}

// dontfork(handle) -> 0 or a negative errno: MADV_DONTFORK, so fork neither copies nor checks it.
Napi::Value Dontfork(const Napi::CallbackInfo& info) {
  MappedRange& range = RangeArg(info);
  if (range.address == nullptr) return Napi::Number::New(info.Env(), -EINVAL);
  int result = madvise(range.address, range.length, MADV_DONTFORK) == 0 ? 0 : -errno;
  return Napi::Number::New(info.Env(), result);
}

// munmap(handle) -> 0 or a negative errno; 0 again once unmapped.
Napi::Value Munmap(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), RangeArg(info).Release()); }

// tryAllocate(bytes) -> 0 or the negative errno the kernel's accounting answered with. The range is
// never touched, so RSS does not move; it is unmapped before returning.
Napi::Value TryAllocate(const Napi::CallbackInfo& info) {
  size_t length = LengthArg(info, 0);
  void* address = MapAnonymous(length, false);
  if (address == MAP_FAILED) return Napi::Number::New(info.Env(), -errno);
  munmap(address, length);
  return Napi::Number::New(info.Env(), 0);
}

Napi::Value LiveMappingCount(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(liveMappings.load()));
}

}  // namespace

void InitMmap(Napi::Env env, Napi::Object exports) {
  Export<Mmap>(env, exports, "mmap");
  Export<Dontfork>(env, exports, "dontfork");
  Export<Munmap>(env, exports, "munmap");
  Export<TryAllocate>(env, exports, "tryAllocate");
  Export<LiveMappingCount>(env, exports, "liveMappingCount");
}

}  // namespace canfork
