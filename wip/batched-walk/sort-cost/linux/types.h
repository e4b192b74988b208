#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
typedef uint32_t u32; typedef uint64_t u64; typedef uint8_t u8;
#define __attribute_const__ __attribute__((__const__))
#define __always_inline inline __attribute__((__always_inline__))
#define likely(x) __builtin_expect(!!(x),1)
#define unlikely(x) __builtin_expect(!!(x),0)
#define CONFIG_64BIT 1
#define CONFIG_HAVE_EFFICIENT_UNALIGNED_ACCESS 1
#define ilog2(n) (63 - __builtin_clzll(n))
