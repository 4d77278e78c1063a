/*
 * buflab's memory-knob probe (allocators/memory-knobs.ts): the few calls a child needs to set and
 * read back the allocator and hugepage knobs it runs with, which Node cannot make itself.
 *
 *   thpDisable()          prctl(PR_SET_THP_DISABLE, 1): no transparent hugepages for this process
 *                         (prctl(2); the kernel then reports `THP_enabled: 0` in /proc/self/status)
 *   thpDisabled()         prctl(PR_GET_THP_DISABLE): 1 when disabled, 0 when not
 *   glibcMallocInfo()     glibc's malloc_info(3) XML (one <heap nr=…> per arena), or null when the
 *                         process has no glibc malloc_info
 *   jemallocUnsigned(n)   jemalloc's mallctl(n) read as an unsigned (`opt.narenas`, `arenas.narenas`),
 *                         or null when jemalloc is not loaded or the name is unknown
 *   jemallocString(n)     mallctl(n) read as a C string (`opt.thp`, `opt.metadata_thp`), or null
 *   mimallocVersion()     mi_version() (209 for 2.0.9), or null when mimalloc is not loaded
 *   mimallocOption(i)     mi_option_get(i), or null when mimalloc is not loaded
 *   mallocAddress(n)      the address of a fresh malloc(n) (freed before returning), from whichever
 *                         malloc the process uses: where that allocator serves n-byte blocks from now
 *
 * Allocator entry points are looked up with dlsym(RTLD_DEFAULT) so that the probe links against no
 * allocator: under LD_PRELOAD the preloaded library's symbols are the global ones. Node-API only
 * (NAPI_VERSION 8): ABI-stable across Node majors. Built by allocators/native/build.sh.
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>
#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#ifndef PR_SET_THP_DISABLE
#define PR_SET_THP_DISABLE 41
#define PR_GET_THP_DISABLE 42
#endif

static napi_value null_value(napi_env env) {
  napi_value v;
  napi_get_null(env, &v);
  return v;
}

static napi_value number_value(napi_env env, double d) {
  napi_value v;
  napi_create_double(env, d, &v);
  return v;
}

/* The first argument as a C string in `buf` (1 on success; throws a TypeError otherwise). */
static int string_arg(napi_env env, napi_callback_info info, char *buf, size_t len) {
  size_t argc = 1;
  napi_value argv[1];
  size_t written = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_string_utf8(env, argv[0], buf, len, &written) != napi_ok) {
    napi_throw_type_error(env, "E_PROBE_ARG", "expected a string argument");
    return 0;
  }
  return 1;
}

static napi_value thp_disable(napi_env env, napi_callback_info info) {
  (void)info;
  if (prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) != 0) {
    char msg[128];
    snprintf(msg, sizeof msg, "prctl(PR_SET_THP_DISABLE) failed: %s", strerror(errno));
    napi_throw_error(env, "E_PROBE_PRCTL", msg);
    return NULL;
  }
  return null_value(env);
}

static napi_value thp_disabled(napi_env env, napi_callback_info info) {
  (void)info;
  int r = prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0);
  if (r < 0) {
    char msg[128];
    snprintf(msg, sizeof msg, "prctl(PR_GET_THP_DISABLE) failed: %s", strerror(errno));
    napi_throw_error(env, "E_PROBE_PRCTL", msg);
    return NULL;
  }
  return number_value(env, r);
}

static napi_value glibc_malloc_info(napi_env env, napi_callback_info info) {
  (void)info;
  /* glibc's own symbol, wherever malloc comes from: jemalloc and friends do not define it. */
  int (*mi)(int, FILE *) = (int (*)(int, FILE *))dlsym(RTLD_DEFAULT, "malloc_info");
  if (mi == NULL) return null_value(env);
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  if (f == NULL) {
    napi_throw_error(env, "E_PROBE_MALLOC_INFO", "open_memstream failed");
    return NULL;
  }
  int rc = mi(0, f);
  fclose(f);
  if (rc != 0) {
    free(text);
    napi_throw_error(env, "E_PROBE_MALLOC_INFO", "malloc_info failed");
    return NULL;
  }
  napi_value out;
  napi_create_string_utf8(env, text, len, &out);
  free(text);
  return out;
}

typedef int (*mallctl_fn)(const char *, void *, size_t *, void *, size_t);

static napi_value jemalloc_unsigned(napi_env env, napi_callback_info info) {
  char name[128];
  if (!string_arg(env, info, name, sizeof name)) return NULL;
  mallctl_fn ctl = (mallctl_fn)dlsym(RTLD_DEFAULT, "mallctl");
  if (ctl == NULL) return null_value(env);
  unsigned value = 0;
  size_t size = sizeof value;
  if (ctl(name, &value, &size, NULL, 0) != 0 || size != sizeof value) return null_value(env);
  return number_value(env, value);
}

static napi_value jemalloc_string(napi_env env, napi_callback_info info) {
  char name[128];
  if (!string_arg(env, info, name, sizeof name)) return NULL;
  mallctl_fn ctl = (mallctl_fn)dlsym(RTLD_DEFAULT, "mallctl");
  if (ctl == NULL) return null_value(env);
  const char *value = NULL;
  size_t size = sizeof value;
  if (ctl(name, &value, &size, NULL, 0) != 0 || size != sizeof value || value == NULL) return null_value(env);
  napi_value out;
  napi_create_string_utf8(env, value, NAPI_AUTO_LENGTH, &out);
  return out;
}

static napi_value mimalloc_version(napi_env env, napi_callback_info info) {
  (void)info;
  int (*ver)(void) = (int (*)(void))dlsym(RTLD_DEFAULT, "mi_version");
  if (ver == NULL) return null_value(env);
  return number_value(env, ver());
}

static napi_value mimalloc_option(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t index = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_int32(env, argv[0], &index) != napi_ok || index < 0) {
    napi_throw_type_error(env, "E_PROBE_ARG", "expected a non-negative option index");
    return NULL;
  }
  long (*get)(int) = (long (*)(int))dlsym(RTLD_DEFAULT, "mi_option_get");
  if (get == NULL) return null_value(env);
  return number_value(env, (double)get(index));
}

static napi_value malloc_address(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int64_t n = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_int64(env, argv[0], &n) != napi_ok || n < 1 || n > (1 << 30)) {
    napi_throw_type_error(env, "E_PROBE_ARG", "expected a size from 1 to 2^30 bytes");
    return NULL;
  }
  void *p = malloc((size_t)n);
  if (p == NULL) {
    napi_throw_error(env, "E_PROBE_MALLOC", "malloc failed");
    return NULL;
  }
  /* x86-64 and arm64 user addresses fit in 48 bits: exact as a double. */
  double address = (double)(uintptr_t)p;
  free(p);
  return number_value(env, address);
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"thpDisable", NULL, thp_disable, NULL, NULL, NULL, napi_enumerable, NULL},
      {"thpDisabled", NULL, thp_disabled, NULL, NULL, NULL, napi_enumerable, NULL},
      {"glibcMallocInfo", NULL, glibc_malloc_info, NULL, NULL, NULL, napi_enumerable, NULL},
      {"jemallocUnsigned", NULL, jemalloc_unsigned, NULL, NULL, NULL, napi_enumerable, NULL},
      {"jemallocString", NULL, jemalloc_string, NULL, NULL, NULL, napi_enumerable, NULL},
      {"mimallocVersion", NULL, mimalloc_version, NULL, NULL, NULL, napi_enumerable, NULL},
      {"mimallocOption", NULL, mimalloc_option, NULL, NULL, NULL, napi_enumerable, NULL},
      {"mallocAddress", NULL, malloc_address, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
