/*
 * libbuflab-malloc-count.so — counts native allocation calls and requested bytes.
 *
 * Loaded first in LD_PRELOAD, in front of the cell's own allocator
 * (LD_PRELOAD=libbuflab-malloc-count.so:libjemalloc.so.2), so that the allocator axis still holds:
 * every call is forwarded with dlsym(RTLD_NEXT, ...) to the next definition in the search order
 * (the preloaded allocator, else glibc).
 *
 * Counters: relaxed atomic 64-bit adds (every thread counts: V8's GC and compiler threads allocate
 * too). They live in a file mapped MAP_SHARED, named by BUFLAB_MALLOC_COUNT_FILE, so that the process
 * can read them at the start and end of its measured phase with a plain read(2) of that file (the
 * page cache makes the mapping and read(2) coherent on Linux). The file is created with O_EXCL:
 * only the first process that loads the shim (the measured child) owns it; processes it spawns
 * (dpkg, sh…) inherit LD_PRELOAD but count into private static memory and cannot disturb the file.
 * Layout (little-endian uint64 words): see the MC_* indices below and harness/profile/malloc-counters.ts.
 *
 * C++ operator new/delete are interposed too: jemalloc, tcmalloc and mimalloc each export their own,
 * which allocate without going through malloc, so counting malloc alone would miss most of V8's
 * C++ allocations under those allocators. When the next operator new is libstdc++'s (glibc cells),
 * it calls malloc in turn; a per-thread depth counter keeps that nested call from counting twice.
 *
 * dlsym itself may call calloc/malloc (glibc allocates its dlerror buffer) before the real functions
 * are known: those calls are served from a static bootstrap arena and never freed.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#define MC_MAGIC 0x746e756f636c6d62ULL /* "bmlcount" little-endian */
#define MC_VERSION 3

enum {
  MC_MAGIC_WORD = 0,
  MC_VERSION_WORD,
  MC_MALLOC_CALLS,
  MC_MALLOC_BYTES,
  MC_CALLOC_CALLS,
  MC_CALLOC_BYTES,
  MC_REALLOC_CALLS,
  MC_REALLOC_BYTES,
  MC_FREE_CALLS, /* free() of a non-NULL pointer */
  MC_ALIGNED_CALLS, /* posix_memalign, aligned_alloc, memalign, valloc, pvalloc */
  MC_ALIGNED_BYTES,
  /* The same calls made on the process's main thread (the JavaScript thread), all kinds together. */
  MC_MAIN_ALLOC_CALLS, /* malloc, calloc, realloc, aligned */
  MC_MAIN_ALLOC_BYTES,
  MC_MAIN_FREE_CALLS,
  /* C++ operator new / new[] (every variant) and operator delete / delete[] of a non-NULL pointer. */
  MC_NEW_CALLS,
  MC_NEW_BYTES,
  MC_DELETE_CALLS,
  MC_WORDS
};

#define MC_FILE_BYTES 4096

static uint64_t static_counters[MC_WORDS];
static uint64_t *counters = static_counters;

typedef void *(*malloc_fn)(size_t);
typedef void *(*calloc_fn)(size_t, size_t);
typedef void *(*realloc_fn)(void *, size_t);
typedef void (*free_fn)(void *);
typedef int (*posix_memalign_fn)(void **, size_t, size_t);
typedef void *(*aligned_alloc_fn)(size_t, size_t);
typedef void *(*valloc_fn)(size_t);

static malloc_fn real_malloc;
static calloc_fn real_calloc;
static realloc_fn real_realloc;
static free_fn real_free;
static posix_memalign_fn real_posix_memalign;
static aligned_alloc_fn real_aligned_alloc;
static aligned_alloc_fn real_memalign;
static valloc_fn real_valloc;
static valloc_fn real_pvalloc;

/* operator new variants: (size), (size, nothrow), (size, align), (size, align, nothrow). */
typedef void *(*new_fn)(size_t);
typedef void *(*new_nt_fn)(size_t, const void *);
typedef void *(*new_al_fn)(size_t, size_t);
typedef void *(*new_al_nt_fn)(size_t, size_t, const void *);
/* operator delete variants: (p), (p, size), (p, nothrow), (p, align), (p, size, align), (p, align, nothrow). */
typedef void (*del_fn)(void *);
typedef void (*del_sz_fn)(void *, size_t);
typedef void (*del_nt_fn)(void *, const void *);
typedef void (*del_al_fn)(void *, size_t);
typedef void (*del_sz_al_fn)(void *, size_t, size_t);
typedef void (*del_al_nt_fn)(void *, size_t, const void *);

#define CXX_SYMBOLS(X) \
  X(new_fn, _Znwm) X(new_fn, _Znam) \
  X(new_nt_fn, _ZnwmRKSt9nothrow_t) X(new_nt_fn, _ZnamRKSt9nothrow_t) \
  X(new_al_fn, _ZnwmSt11align_val_t) X(new_al_fn, _ZnamSt11align_val_t) \
  X(new_al_nt_fn, _ZnwmSt11align_val_tRKSt9nothrow_t) X(new_al_nt_fn, _ZnamSt11align_val_tRKSt9nothrow_t) \
  X(del_fn, _ZdlPv) X(del_fn, _ZdaPv) \
  X(del_sz_fn, _ZdlPvm) X(del_sz_fn, _ZdaPvm) \
  X(del_nt_fn, _ZdlPvRKSt9nothrow_t) X(del_nt_fn, _ZdaPvRKSt9nothrow_t) \
  X(del_al_fn, _ZdlPvSt11align_val_t) X(del_al_fn, _ZdaPvSt11align_val_t) \
  X(del_sz_al_fn, _ZdlPvmSt11align_val_t) X(del_sz_al_fn, _ZdaPvmSt11align_val_t) \
  X(del_al_nt_fn, _ZdlPvSt11align_val_tRKSt9nothrow_t) X(del_al_nt_fn, _ZdaPvSt11align_val_tRKSt9nothrow_t)

#define DECLARE_NEXT(type, sym) static type next##sym;
CXX_SYMBOLS(DECLARE_NEXT)

/* Bootstrap arena for allocations made while dlsym runs. Each block has a 16-byte size header. */
static _Alignas(16) unsigned char bootstrap[256 * 1024];
static size_t bootstrap_used;
static int resolving;

/* The main thread's id is the process id; each thread learns once whether it is that thread. */
static pid_t main_tid;
static __thread __attribute__((tls_model("initial-exec"))) int thread_kind; /* 0 unknown, 1 main, 2 other */

static inline int on_main_thread(void) {
  if (thread_kind == 0) {
    /* Libraries' constructors allocate before ours runs; only the main thread exists that early. */
    if (main_tid == 0) main_tid = getpid();
    thread_kind = (pid_t)syscall(SYS_gettid) == main_tid ? 1 : 2;
  }
  return thread_kind == 1;
}

/* > 0 while this thread is inside an interposed operator new/delete (see the header comment); the
   NEW_BODY/DELETE_BODY wrappers count their own call outside that window. */
static __thread __attribute__((tls_model("initial-exec"))) int in_cxx;

static inline void count(int calls, int bytes_word, uint64_t bytes) {
  /* Only the outermost call counts: libstdc++'s sized delete calls plain delete, new[] calls new,
     and both end in malloc/free. */
  if (in_cxx > 0) return;
  __atomic_fetch_add(&counters[calls], 1, __ATOMIC_RELAXED);
  if (bytes_word >= 0) __atomic_fetch_add(&counters[bytes_word], bytes, __ATOMIC_RELAXED);
  if (on_main_thread()) {
    if (bytes_word >= 0) {
      __atomic_fetch_add(&counters[MC_MAIN_ALLOC_CALLS], 1, __ATOMIC_RELAXED);
      __atomic_fetch_add(&counters[MC_MAIN_ALLOC_BYTES], bytes, __ATOMIC_RELAXED);
    } else {
      __atomic_fetch_add(&counters[MC_MAIN_FREE_CALLS], 1, __ATOMIC_RELAXED);
    }
  }
}

static int in_bootstrap(const void *p) {
  return (const unsigned char *)p >= bootstrap && (const unsigned char *)p < bootstrap + sizeof bootstrap;
}

static void *bootstrap_alloc(size_t bytes) {
  size_t need = (bytes + 15) / 16 * 16 + 16;
  size_t at = __atomic_fetch_add(&bootstrap_used, need, __ATOMIC_RELAXED);
  if (at + need > sizeof bootstrap) return NULL;
  memcpy(bootstrap + at, &bytes, sizeof bytes);
  return bootstrap + at + 16; /* bootstrap memory is zero (static storage): calloc-safe */
}

static size_t bootstrap_size(const void *p) {
  size_t bytes;
  memcpy(&bytes, (const unsigned char *)p - 16, sizeof bytes);
  return bytes;
}

static void resolve(void) {
  if (real_malloc != NULL) return;
  resolving = 1;
  real_calloc = (calloc_fn)dlsym(RTLD_NEXT, "calloc");
  real_realloc = (realloc_fn)dlsym(RTLD_NEXT, "realloc");
  real_free = (free_fn)dlsym(RTLD_NEXT, "free");
  real_posix_memalign = (posix_memalign_fn)dlsym(RTLD_NEXT, "posix_memalign");
  real_aligned_alloc = (aligned_alloc_fn)dlsym(RTLD_NEXT, "aligned_alloc");
  real_memalign = (aligned_alloc_fn)dlsym(RTLD_NEXT, "memalign");
  real_valloc = (valloc_fn)dlsym(RTLD_NEXT, "valloc");
  real_pvalloc = (valloc_fn)dlsym(RTLD_NEXT, "pvalloc");
#define RESOLVE_NEXT(type, sym) next##sym = (type)dlsym(RTLD_NEXT, #sym);
  CXX_SYMBOLS(RESOLVE_NEXT)
  malloc_fn m = (malloc_fn)dlsym(RTLD_NEXT, "malloc");
  resolving = 0;
  __atomic_store_n(&real_malloc, m, __ATOMIC_RELEASE);
}

__attribute__((constructor)) static void malloc_count_init(void) {
  if (main_tid == 0) main_tid = getpid();
  resolve();
  const char *path = getenv("BUFLAB_MALLOC_COUNT_FILE");
  if (path == NULL || path[0] == '\0') return;
  /* O_EXCL: only the first process to load the shim owns the file (see the header comment). */
  int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return;
  if (ftruncate(fd, MC_FILE_BYTES) != 0) {
    close(fd);
    return;
  }
  void *map = mmap(NULL, MC_FILE_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  close(fd);
  if (map == MAP_FAILED) return;
  uint64_t *shared = (uint64_t *)map;
  /* The constructor runs before the program's threads exist: a plain copy is safe here. */
  for (int i = 0; i < MC_WORDS; i++) shared[i] = static_counters[i];
  shared[MC_MAGIC_WORD] = MC_MAGIC;
  shared[MC_VERSION_WORD] = MC_VERSION;
  __atomic_store_n(&counters, shared, __ATOMIC_RELEASE);
}

void *malloc(size_t bytes) {
  if (real_malloc == NULL) {
    if (resolving) return bootstrap_alloc(bytes);
    resolve();
  }
  count(MC_MALLOC_CALLS, MC_MALLOC_BYTES, bytes);
  return real_malloc(bytes);
}

void *calloc(size_t n, size_t size) {
  if (real_malloc == NULL) {
    if (resolving) return bootstrap_alloc(n * size);
    resolve();
  }
  count(MC_CALLOC_CALLS, MC_CALLOC_BYTES, (uint64_t)n * size);
  return real_calloc(n, size);
}

void *realloc(void *p, size_t bytes) {
  if (real_malloc == NULL) {
    if (resolving) {
      void *q = bootstrap_alloc(bytes);
      if (q != NULL && p != NULL) {
        size_t old = bootstrap_size(p);
        memcpy(q, p, old < bytes ? old : bytes);
      }
      return q;
    }
    resolve();
  }
  if (p != NULL && in_bootstrap(p)) {
    /* Moves a bootstrap block into the real allocator; the old block is never reused. */
    void *q = malloc(bytes);
    if (q != NULL) {
      size_t old = bootstrap_size(p);
      memcpy(q, p, old < bytes ? old : bytes);
    }
    return q;
  }
  count(MC_REALLOC_CALLS, MC_REALLOC_BYTES, bytes);
  return real_realloc(p, bytes);
}

void *reallocarray(void *p, size_t n, size_t size) {
  size_t bytes;
  if (__builtin_mul_overflow(n, size, &bytes)) {
    errno = ENOMEM;
    return NULL;
  }
  return realloc(p, bytes);
}

void free(void *p) {
  if (p == NULL || in_bootstrap(p)) return;
  if (real_free == NULL) resolve();
  count(MC_FREE_CALLS, -1, 0);
  real_free(p);
}

int posix_memalign(void **out, size_t alignment, size_t bytes) {
  if (real_malloc == NULL) resolve();
  count(MC_ALIGNED_CALLS, MC_ALIGNED_BYTES, bytes);
  return real_posix_memalign(out, alignment, bytes);
}

void *aligned_alloc(size_t alignment, size_t bytes) {
  if (real_malloc == NULL) resolve();
  count(MC_ALIGNED_CALLS, MC_ALIGNED_BYTES, bytes);
  return real_aligned_alloc(alignment, bytes);
}

void *memalign(size_t alignment, size_t bytes) {
  if (real_malloc == NULL) resolve();
  count(MC_ALIGNED_CALLS, MC_ALIGNED_BYTES, bytes);
  return real_memalign(alignment, bytes);
}

void *valloc(size_t bytes) {
  if (real_malloc == NULL) resolve();
  count(MC_ALIGNED_CALLS, MC_ALIGNED_BYTES, bytes);
  return real_valloc(bytes);
}

void *pvalloc(size_t bytes) {
  if (real_malloc == NULL) resolve();
  count(MC_ALIGNED_CALLS, MC_ALIGNED_BYTES, bytes);
  return real_pvalloc(bytes);
}

/* ---- C++ operator new / delete ------------------------------------------------------------- */

#define NEW_BODY(sym, call, bytes)        \
  if (real_malloc == NULL) resolve();     \
  in_cxx++;                               \
  void *p = next##sym call;               \
  in_cxx--;                               \
  count(MC_NEW_CALLS, MC_NEW_BYTES, bytes); \
  return p;

#define DELETE_BODY(sym, call)            \
  if (ptr == NULL) return;                \
  if (real_malloc == NULL) resolve();     \
  count(MC_DELETE_CALLS, -1, 0);          \
  in_cxx++;                               \
  next##sym call;                         \
  in_cxx--;

void *_Znwm(size_t n) { NEW_BODY(_Znwm, (n), n) }
void *_Znam(size_t n) { NEW_BODY(_Znam, (n), n) }
void *_ZnwmRKSt9nothrow_t(size_t n, const void *nt) { NEW_BODY(_ZnwmRKSt9nothrow_t, (n, nt), n) }
void *_ZnamRKSt9nothrow_t(size_t n, const void *nt) { NEW_BODY(_ZnamRKSt9nothrow_t, (n, nt), n) }
void *_ZnwmSt11align_val_t(size_t n, size_t al) { NEW_BODY(_ZnwmSt11align_val_t, (n, al), n) }
void *_ZnamSt11align_val_t(size_t n, size_t al) { NEW_BODY(_ZnamSt11align_val_t, (n, al), n) }
void *_ZnwmSt11align_val_tRKSt9nothrow_t(size_t n, size_t al, const void *nt) { NEW_BODY(_ZnwmSt11align_val_tRKSt9nothrow_t, (n, al, nt), n) }
void *_ZnamSt11align_val_tRKSt9nothrow_t(size_t n, size_t al, const void *nt) { NEW_BODY(_ZnamSt11align_val_tRKSt9nothrow_t, (n, al, nt), n) }

void _ZdlPv(void *ptr) { DELETE_BODY(_ZdlPv, (ptr)) }
void _ZdaPv(void *ptr) { DELETE_BODY(_ZdaPv, (ptr)) }
void _ZdlPvm(void *ptr, size_t n) { DELETE_BODY(_ZdlPvm, (ptr, n)) }
void _ZdaPvm(void *ptr, size_t n) { DELETE_BODY(_ZdaPvm, (ptr, n)) }
void _ZdlPvRKSt9nothrow_t(void *ptr, const void *nt) { DELETE_BODY(_ZdlPvRKSt9nothrow_t, (ptr, nt)) }
void _ZdaPvRKSt9nothrow_t(void *ptr, const void *nt) { DELETE_BODY(_ZdaPvRKSt9nothrow_t, (ptr, nt)) }
void _ZdlPvSt11align_val_t(void *ptr, size_t al) { DELETE_BODY(_ZdlPvSt11align_val_t, (ptr, al)) }
void _ZdaPvSt11align_val_t(void *ptr, size_t al) { DELETE_BODY(_ZdaPvSt11align_val_t, (ptr, al)) }
void _ZdlPvmSt11align_val_t(void *ptr, size_t n, size_t al) { DELETE_BODY(_ZdlPvmSt11align_val_t, (ptr, n, al)) }
void _ZdaPvmSt11align_val_t(void *ptr, size_t n, size_t al) { DELETE_BODY(_ZdaPvmSt11align_val_t, (ptr, n, al)) }
void _ZdlPvSt11align_val_tRKSt9nothrow_t(void *ptr, size_t al, const void *nt) { DELETE_BODY(_ZdlPvSt11align_val_tRKSt9nothrow_t, (ptr, al, nt)) }
void _ZdaPvSt11align_val_tRKSt9nothrow_t(void *ptr, size_t al, const void *nt) { DELETE_BODY(_ZdaPvSt11align_val_tRKSt9nothrow_t, (ptr, al, nt)) }
