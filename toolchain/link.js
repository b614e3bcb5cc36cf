// The link flags for a portable addon, one list for binding.gyp and CMakeLists.txt: each glibc function
// toolchain/glibc-compat.cc binds to its oldest version is wrapped (-Wl,--wrap=NAME).
'use strict';
const wrapped = ['pthread_sigmask', 'pthread_create', 'pthread_detach', 'pthread_join', 'pthread_once',
  '__pthread_key_create', 'dlopen', 'dladdr', 'arc4random', 'fstat64', 'fstat'];
module.exports = { wrapped, wrapFlags: wrapped.map((name) => `-Wl,--wrap=${name}`).join(' ') };
