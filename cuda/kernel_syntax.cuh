#pragma once
// The three pieces of CUDA syntax that a host compiler cannot parse, spelled
// once, so that the same kernel source compiles with nvcc for the GPU and with
// the host compiler for the CPU emulation (cuda/emulation/README.md):
//
//   ENU_LAUNCH(kernel, grid, block, shared_bytes, stream)(args...)
//       kernel<<<grid, block, shared_bytes, stream>>>(args...)
//   ENU_DYNAMIC_SHARED(float, name);     extern __shared__ __align__(128) float name[];
//   ENU_SHARED(Type, name);              __shared__ Type name;
//
// A template kernel is named with its arguments: ENU_LAUNCH(k<Task>, ...).

#include <cuda_runtime.h>

#if defined(ENU_CUDA_EMULATION)
#define ENU_LAUNCH(kernel, grid, block, shared_bytes, stream) \
  ::enu::emulation::Launch(#kernel, kernel, grid, block, shared_bytes, stream)
#define ENU_DYNAMIC_SHARED(type, name) type* const name = static_cast<type*>(::enu::emulation::dynamic_shared())
#define ENU_SHARED_SITE_(line) __FILE__ ":" #line
#define ENU_SHARED_SITE(line) ENU_SHARED_SITE_(line)
#define ENU_SHARED(type, name)                                                                          \
  type& name = *static_cast<type*>(                                                                     \
      ::enu::emulation::static_shared(ENU_SHARED_SITE(__LINE__) " " #name, sizeof(type), alignof(type)))
#else
#define ENU_LAUNCH(kernel, grid, block, shared_bytes, stream) kernel<<<grid, block, shared_bytes, stream>>>
// 128-byte aligned: wmma's loads and stores need 32-byte aligned pointers, float4 16.
#define ENU_DYNAMIC_SHARED(type, name) extern __shared__ __align__(128) type name[]
#define ENU_SHARED(type, name) __shared__ type name
#endif
