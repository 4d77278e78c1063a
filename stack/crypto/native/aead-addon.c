/*
 * buflab's in-place AEAD addon (the `native` crypto backend, stack/crypto/native-backend.ts):
 * AES-128/256-GCM and ChaCha20-Poly1305 seal/open, AES-256-CBC and HMAC-SHA256, all working IN
 * PLACE on a region (buf, offset, length) of a caller's Uint8Array, with one OpenSSL context per
 * key that is reused for every packet (only the nonce is set per call, so no key schedule and no
 * allocation per packet). Node-API only (js_native_api.h / node_api.h, NAPI_VERSION 8): the binary
 * is ABI-stable across Node majors.
 *
 * OpenSSL is Debian's (libssl-dev), linked STATICALLY with its symbols hidden
 * (stack/crypto/native/build.sh: -Wl,--exclude-libs,ALL). Why: the node executable exports its own
 * bundled OpenSSL's symbols (EVP_* of 3.0.x on Node 20, 3.5 on Node 24); a shared -lcrypto would
 * have its EVP_* calls bound to node's copy by the dynamic linker (the executable comes first in
 * the global scope), mixing two OpenSSL builds. Statically linked and hidden, every call here goes
 * to Debian's OpenSSL, and malloc still goes through the process's allocator (LD_PRELOAD axis).
 *
 * Beside the crypto, two per-packet helpers that Node's own APIs make allocate: copyRange (the
 * strategies' range copy on Node 20), udpSendto and udpRecvfrom (the vpn server's datagram send and
 * drain, --udp native).
 *
 * Per-packet calls allocate nothing: numbers are read with napi_get_value_uint32, typed arrays with
 * napi_get_typedarray_info (a pointer into the existing backing store), and the results are
 * `undefined` or one of the two cached booleans. Misuse (a range outside the array, a wrong nonce
 * length) throws a RangeError/TypeError whose `code` is E_CRYPTO_RANGE / E_CRYPTO_ARG.
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#define NONCE_BYTES 12
#define TAG_BYTES 16
#define CBC_IV_BYTES 16
#define HMAC_BYTES 32

/* Algorithm ids shared with native-backend.ts (AEAD_IDS there). */
enum { ALG_AES_256_GCM = 0, ALG_AES_128_GCM = 1, ALG_CHACHA20_POLY1305 = 2 };

typedef struct {
  EVP_CIPHER_CTX *seal; /* encrypt context, key set once */
  EVP_CIPHER_CTX *open; /* decrypt context, key set once */
} aead_ctx;

typedef struct {
  EVP_CIPHER_CTX *enc;
  EVP_CIPHER_CTX *dec;
  EVP_MAC_CTX *mac; /* HMAC-SHA256, key set once */
} cbc_hmac_ctx;

/* ---- argument helpers (no allocation: handles live in the callback's scope) ---- */

static int throw_arg(napi_env env, const char *msg) {
  napi_throw_type_error(env, "E_CRYPTO_ARG", msg);
  return 0;
}

static int throw_range(napi_env env, const char *msg) {
  napi_throw_range_error(env, "E_CRYPTO_RANGE", msg);
  return 0;
}

static int throw_openssl(napi_env env, const char *what) {
  napi_throw_error(env, "E_CRYPTO_OPENSSL", what);
  return 0;
}

/* A Uint8Array's bytes (data already at its byteOffset) and length. */
static int get_bytes(napi_env env, napi_value v, uint8_t **data, size_t *len) {
  bool is_ta = false;
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta) return throw_arg(env, "expected a Uint8Array");
  napi_typedarray_type type;
  void *p = NULL;
  /* arraybuffer and byte_offset are not asked for: asking would create a handle to the buffer. */
  if (napi_get_typedarray_info(env, v, &type, len, &p, NULL, NULL) != napi_ok) return throw_arg(env, "unreadable typed array");
  if (type != napi_uint8_array) return throw_arg(env, "expected a Uint8Array");
  *data = (uint8_t *)p;
  return 1;
}

static int get_u32(napi_env env, napi_value v, uint32_t *out) {
  if (napi_get_value_uint32(env, v, out) != napi_ok) return throw_arg(env, "expected a non-negative integer offset");
  return 1;
}

static int get_ctx(napi_env env, napi_value v, void **out) {
  if (napi_get_value_external(env, v, out) != napi_ok || *out == NULL) return throw_arg(env, "expected a context made by this addon");
  return 1;
}

/* a <= b <= len, as offsets into an array of len bytes. */
static int check_range(napi_env env, uint32_t a, uint32_t b, size_t len, const char *what) {
  if (a > b || (size_t)b > len) return throw_range(env, what);
  return 1;
}

/* ---- AEAD ---- */

static const EVP_CIPHER *aead_cipher(uint32_t alg) {
  switch (alg) {
    case ALG_AES_256_GCM: return EVP_aes_256_gcm();
    case ALG_AES_128_GCM: return EVP_aes_128_gcm();
    case ALG_CHACHA20_POLY1305: return EVP_chacha20_poly1305();
    default: return NULL;
  }
}

static void aead_free(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  aead_ctx *c = (aead_ctx *)data;
  EVP_CIPHER_CTX_free(c->seal);
  EVP_CIPHER_CTX_free(c->open);
  OPENSSL_free(c);
}

/* One key's contexts: cipher, nonce length and key are set here once; per packet only the nonce. */
static EVP_CIPHER_CTX *keyed_ctx(const EVP_CIPHER *cipher, const uint8_t *key, int enc) {
  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
  if (ctx == NULL) return NULL;
  if (EVP_CipherInit_ex(ctx, cipher, NULL, NULL, NULL, enc) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, NONCE_BYTES, NULL) != 1 ||
      EVP_CipherInit_ex(ctx, NULL, NULL, key, NULL, enc) != 1) {
    EVP_CIPHER_CTX_free(ctx);
    return NULL;
  }
  return ctx;
}

/* aeadContext(algorithmId, key) -> external */
static napi_value aead_context(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  uint32_t alg;
  uint8_t *key;
  size_t key_len;
  if (argc != 2 || !get_u32(env, argv[0], &alg) || !get_bytes(env, argv[1], &key, &key_len)) return NULL;
  const EVP_CIPHER *cipher = aead_cipher(alg);
  if (cipher == NULL) return throw_arg(env, "unknown AEAD algorithm id"), NULL;
  if ((int)key_len != EVP_CIPHER_get_key_length(cipher)) return throw_arg(env, "wrong key length for this AEAD"), NULL;
  aead_ctx *c = OPENSSL_zalloc(sizeof *c);
  if (c == NULL) return throw_openssl(env, "out of memory"), NULL;
  c->seal = keyed_ctx(cipher, key, 1);
  c->open = keyed_ctx(cipher, key, 0);
  if (c->seal == NULL || c->open == NULL) {
    aead_free(env, c, NULL);
    return throw_openssl(env, "OpenSSL refused the AEAD key"), NULL;
  }
  napi_value out;
  if (napi_create_external(env, c, aead_free, NULL, &out) != napi_ok) {
    aead_free(env, c, NULL);
    return NULL;
  }
  return out;
}

typedef struct {
  aead_ctx *ctx;
  uint8_t *nonce;
  uint8_t *buf;
  uint32_t aad_start, aad_end, start, end, tag_at;
} aead_args;

/* (ctx, nonce, buf, aadStart, aadEnd, start, end, tagAt): read and range-checked. */
static int aead_read_args(napi_env env, napi_callback_info info, aead_args *a) {
  size_t argc = 8;
  napi_value argv[8];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc != 8) return throw_arg(env, "expected (ctx, nonce, buf, aadStart, aadEnd, start, end, tagAt)");
  size_t nonce_len, buf_len;
  if (!get_ctx(env, argv[0], (void **)&a->ctx) || !get_bytes(env, argv[1], &a->nonce, &nonce_len) ||
      !get_bytes(env, argv[2], &a->buf, &buf_len) || !get_u32(env, argv[3], &a->aad_start) ||
      !get_u32(env, argv[4], &a->aad_end) || !get_u32(env, argv[5], &a->start) || !get_u32(env, argv[6], &a->end) ||
      !get_u32(env, argv[7], &a->tag_at))
    return 0;
  if (nonce_len != NONCE_BYTES) return throw_arg(env, "AEAD nonces are 12 bytes");
  return check_range(env, a->aad_start, a->aad_end, buf_len, "AAD range outside the buffer") &&
         check_range(env, a->start, a->end, buf_len, "message range outside the buffer") &&
         /* an offset near 2^32 wraps tag_at + 16 below tag_at: refused as a > b */
         check_range(env, a->tag_at, a->tag_at + TAG_BYTES, buf_len, "tag outside the buffer");
}

/* Encrypts buf[start, end) in place under `nonce`; AAD buf[aadStart, aadEnd) when ctx is the seal one. */
static int aead_crypt(EVP_CIPHER_CTX *ctx, const aead_args *a) {
  int n;
  if (EVP_CipherInit_ex(ctx, NULL, NULL, NULL, a->nonce, -1) != 1) return 0;
  if (a->aad_end > a->aad_start && EVP_CipherUpdate(ctx, NULL, &n, a->buf + a->aad_start, (int)(a->aad_end - a->aad_start)) != 1) return 0;
  if (a->end > a->start && EVP_CipherUpdate(ctx, a->buf + a->start, &n, a->buf + a->start, (int)(a->end - a->start)) != 1) return 0;
  return 1;
}

/* aeadSeal(ctx, nonce, buf, aadStart, aadEnd, start, end, tagAt) -> undefined */
static napi_value aead_seal(napi_env env, napi_callback_info info) {
  aead_args a;
  if (!aead_read_args(env, info, &a)) return NULL;
  int n;
  EVP_CIPHER_CTX *ctx = a.ctx->seal;
  /* Stream-mode AEADs: Final writes nothing; the tag goes straight into the packet. */
  if (!aead_crypt(ctx, &a) || EVP_EncryptFinal_ex(ctx, a.buf + a.end, &n) != 1 || n != 0 ||
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, TAG_BYTES, a.buf + a.tag_at) != 1)
    return throw_openssl(env, "AEAD seal failed"), NULL;
  return NULL; /* undefined */
}

/*
 * aeadOpen(...) -> boolean. Decrypts in place, then checks the tag. On a bad tag the region is
 * put back to the ciphertext (GCM and ChaCha20 are XOR stream ciphers: encrypting the plaintext
 * again under the same key and nonce restores it), so nothing unauthenticated is left in the
 * packet when this returns false — the contract of AeadKey.open.
 */
static napi_value aead_open(napi_env env, napi_callback_info info) {
  aead_args a;
  if (!aead_read_args(env, info, &a)) return NULL;
  int n;
  EVP_CIPHER_CTX *ctx = a.ctx->open;
  /* The tag is copied into the context before decryption (the region may be overwritten). */
  if (EVP_CipherInit_ex(ctx, NULL, NULL, NULL, a.nonce, 0) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, TAG_BYTES, a.buf + a.tag_at) != 1)
    return throw_openssl(env, "AEAD open failed"), NULL;
  if (a.aad_end > a.aad_start && EVP_DecryptUpdate(ctx, NULL, &n, a.buf + a.aad_start, (int)(a.aad_end - a.aad_start)) != 1)
    return throw_openssl(env, "AEAD open failed"), NULL;
  if (a.end > a.start && EVP_DecryptUpdate(ctx, a.buf + a.start, &n, a.buf + a.start, (int)(a.end - a.start)) != 1)
    return throw_openssl(env, "AEAD open failed"), NULL;
  int ok = EVP_DecryptFinal_ex(ctx, a.buf + a.end, &n) == 1;
  if (!ok) {
    aead_args restore = a;
    restore.aad_start = restore.aad_end = 0; /* the keystream does not depend on the AAD */
    if (!aead_crypt(a.ctx->seal, &restore)) return throw_openssl(env, "AEAD open: restoring the ciphertext failed"), NULL;
  }
  napi_value out;
  napi_get_boolean(env, ok, &out);
  return out;
}

/* ---- AES-256-CBC + HMAC-SHA256 (OpenVPN static-key mode) ---- */

static void cbc_free(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  cbc_hmac_ctx *c = (cbc_hmac_ctx *)data;
  EVP_CIPHER_CTX_free(c->enc);
  EVP_CIPHER_CTX_free(c->dec);
  EVP_MAC_CTX_free(c->mac);
  OPENSSL_free(c);
}

static EVP_CIPHER_CTX *cbc_ctx(const uint8_t *key, int enc) {
  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
  if (ctx == NULL) return NULL;
  /* Padding is OpenVPN's and done by the caller: OpenSSL's own is off (it survives IV-only re-inits). */
  if (EVP_CipherInit_ex(ctx, EVP_aes_256_cbc(), NULL, key, NULL, enc) != 1 || EVP_CIPHER_CTX_set_padding(ctx, 0) != 1) {
    EVP_CIPHER_CTX_free(ctx);
    return NULL;
  }
  return ctx;
}

/* cbcHmacContext(cipherKey32, hmacKey32) -> external */
static napi_value cbc_context(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  uint8_t *ck, *hk;
  size_t ck_len, hk_len;
  if (argc != 2 || !get_bytes(env, argv[0], &ck, &ck_len) || !get_bytes(env, argv[1], &hk, &hk_len)) return NULL;
  if (ck_len != 32 || hk_len != HMAC_BYTES) return throw_arg(env, "AES-256-CBC and HMAC-SHA256 keys are 32 bytes each"), NULL;
  cbc_hmac_ctx *c = OPENSSL_zalloc(sizeof *c);
  if (c == NULL) return throw_openssl(env, "out of memory"), NULL;
  c->enc = cbc_ctx(ck, 1);
  c->dec = cbc_ctx(ck, 0);
  EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
  if (mac != NULL) {
    c->mac = EVP_MAC_CTX_new(mac);
    EVP_MAC_free(mac);
  }
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0), OSSL_PARAM_construct_end()};
  if (c->enc == NULL || c->dec == NULL || c->mac == NULL || EVP_MAC_init(c->mac, hk, hk_len, params) != 1) {
    cbc_free(env, c, NULL);
    return throw_openssl(env, "OpenSSL refused the CBC/HMAC keys"), NULL;
  }
  napi_value out;
  if (napi_create_external(env, c, cbc_free, NULL, &out) != napi_ok) {
    cbc_free(env, c, NULL);
    return NULL;
  }
  return out;
}

/* cbcEncrypt / cbcDecrypt(ctx, iv, buf, start, end): in place, length a multiple of 16. */
static napi_value cbc_crypt(napi_env env, napi_callback_info info, int enc) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  cbc_hmac_ctx *c;
  uint8_t *iv, *buf;
  size_t iv_len, buf_len;
  uint32_t start, end;
  if (argc != 5 || !get_ctx(env, argv[0], (void **)&c) || !get_bytes(env, argv[1], &iv, &iv_len) ||
      !get_bytes(env, argv[2], &buf, &buf_len) || !get_u32(env, argv[3], &start) || !get_u32(env, argv[4], &end))
    return NULL;
  if (iv_len != CBC_IV_BYTES) return throw_arg(env, "CBC IVs are 16 bytes"), NULL;
  if (!check_range(env, start, end, buf_len, "CBC range outside the buffer")) return NULL;
  if ((end - start) % CBC_IV_BYTES != 0) return throw_range(env, "CBC length is not a multiple of 16"), NULL;
  EVP_CIPHER_CTX *ctx = enc ? c->enc : c->dec;
  int n, fin;
  if (EVP_CipherInit_ex(ctx, NULL, NULL, NULL, iv, enc) != 1 ||
      (end > start && EVP_CipherUpdate(ctx, buf + start, &n, buf + start, (int)(end - start)) != 1) ||
      EVP_CipherFinal_ex(ctx, buf + end, &fin) != 1 || fin != 0)
    return throw_openssl(env, "AES-256-CBC failed"), NULL;
  return NULL;
}

static napi_value cbc_encrypt(napi_env env, napi_callback_info info) { return cbc_crypt(env, info, 1); }
static napi_value cbc_decrypt(napi_env env, napi_callback_info info) { return cbc_crypt(env, info, 0); }

/* hmac(ctx, buf, start, end, out, outAt): HMAC-SHA256(buf[start, end)) written at out[outAt, outAt + 32). */
static napi_value hmac(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  cbc_hmac_ctx *c;
  uint8_t *buf, *out;
  size_t buf_len, out_len, mac_len;
  uint32_t start, end, out_at;
  if (argc != 6 || !get_ctx(env, argv[0], (void **)&c) || !get_bytes(env, argv[1], &buf, &buf_len) || !get_u32(env, argv[2], &start) ||
      !get_u32(env, argv[3], &end) || !get_bytes(env, argv[4], &out, &out_len) || !get_u32(env, argv[5], &out_at))
    return NULL;
  if (!check_range(env, start, end, buf_len, "HMAC range outside the buffer") ||
      !check_range(env, out_at, out_at + HMAC_BYTES, out_len, "HMAC output outside the buffer"))
    return NULL;
  /* A NULL key re-initialises with the key set at creation (no key processing per packet). */
  if (EVP_MAC_init(c->mac, NULL, 0, NULL) != 1 || EVP_MAC_update(c->mac, buf + start, end - start) != 1 ||
      EVP_MAC_final(c->mac, out + out_at, &mac_len, HMAC_BYTES) != 1 || mac_len != HMAC_BYTES)
    return throw_openssl(env, "HMAC-SHA256 failed"), NULL;
  return NULL;
}

/* randomFill(buf, start, bytes) */
static napi_value random_fill(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  uint8_t *buf;
  size_t buf_len;
  uint32_t start, bytes;
  if (argc != 3 || !get_bytes(env, argv[0], &buf, &buf_len) || !get_u32(env, argv[1], &start) || !get_u32(env, argv[2], &bytes)) return NULL;
  if (!check_range(env, start, start + bytes, buf_len, "random range outside the buffer")) return NULL;
  if (RAND_bytes(buf + start, (int)bytes) != 1) return throw_openssl(env, "RAND_bytes failed"), NULL;
  return NULL;
}

/*
 * copyRange(src, srcStart, srcEnd, dst, dstStart): dst[dstStart ...] = src[srcStart, srcEnd), as
 * memmove (src and dst may be overlapping views of one ArrayBuffer). The buffer strategies' range
 * copy on Node 20 (allocators/strategy-common.ts): JavaScript has no offset-taking copy between two
 * arrays, and Node 20's public ones make a view per partial range (issue 14); this makes none.
 */
static napi_value copy_range(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  uint8_t *src, *dst;
  size_t src_len, dst_len;
  uint32_t src_start, src_end, dst_start;
  if (argc != 5 || !get_bytes(env, argv[0], &src, &src_len) || !get_u32(env, argv[1], &src_start) || !get_u32(env, argv[2], &src_end) ||
      !get_bytes(env, argv[3], &dst, &dst_len) || !get_u32(env, argv[4], &dst_start))
    return NULL;
  if (!check_range(env, src_start, src_end, src_len, "copy source range outside the buffer")) return NULL;
  uint32_t n = src_end - src_start;
  /* dst_start + n wrapping past 2^32 is refused as a > b */
  if (!check_range(env, dst_start, dst_start + n, dst_len, "copy destination range outside the buffer")) return NULL;
  if (n > 0) memmove(dst + dst_start, src + src_start, n);
  return NULL;
}

/*
 * udpSendto(fd, buf, start, end, ipv4, port) -> bytes sent, or -errno: one datagram of
 * buf[start, end) to ipv4:port (ipv4 a 32-bit number, host order) on the non-blocking UDP socket fd,
 * with sendto(2) and MSG_DONTWAIT. The vpn server's send path (workloads/vpn/native-udp.ts): node's
 * dgram.send wants a Buffer it may keep (a copy per datagram), resolves the address on the next tick
 * and makes a request object per datagram; the kernel copies the bytes during the call, so here the
 * frame is sent from where the strategy built it. -EAGAIN when the socket buffer is full: the caller
 * falls back to dgram.send, which queues. Returns a small integer (no allocation).
 */
static napi_value udp_sendto(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  uint8_t *buf;
  size_t buf_len;
  uint32_t fd, start, end, ip, port;
  if (argc != 6 || !get_u32(env, argv[0], &fd) || !get_bytes(env, argv[1], &buf, &buf_len) || !get_u32(env, argv[2], &start) ||
      !get_u32(env, argv[3], &end) || !get_u32(env, argv[4], &ip) || !get_u32(env, argv[5], &port))
    return NULL;
  if (!check_range(env, start, end, buf_len, "datagram range outside the buffer")) return NULL;
  if (port > 65535 || fd > INT32_MAX) return throw_arg(env, "port above 65535 or fd out of range"), NULL;
  struct sockaddr_in to;
  memset(&to, 0, sizeof to);
  to.sin_family = AF_INET;
  to.sin_port = htons((uint16_t)port);
  to.sin_addr.s_addr = htonl(ip);
  ssize_t n = sendto((int)fd, buf + start, end - start, MSG_DONTWAIT | MSG_NOSIGNAL, (const struct sockaddr *)&to, sizeof to);
  napi_value out;
  napi_create_int32(env, n < 0 ? -errno : (int32_t)n, &out);
  return out;
}

/*
 * udpRecvfrom(fd, buf, start, end, from) -> bytes of the datagram read into buf[start, end), or
 * -errno (-EAGAIN: none waiting; -EMSGSIZE: it was longer than the range, and is dropped): one
 * recvfrom(2) with MSG_DONTWAIT on the UDP socket fd; the sender's IPv4 address and port are written
 * big-endian at from[0, 4) and from[4, 6). The vpn server drains, after each datagram node's dgram
 * delivered, the ones already waiting (workloads/vpn/native-udp.ts), without node's per-datagram
 * Buffer, address string and callback. Returns a small integer (no allocation).
 */
static napi_value udp_recvfrom(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  uint8_t *buf, *from;
  size_t buf_len, from_len;
  uint32_t fd, start, end;
  if (argc != 5 || !get_u32(env, argv[0], &fd) || !get_bytes(env, argv[1], &buf, &buf_len) || !get_u32(env, argv[2], &start) ||
      !get_u32(env, argv[3], &end) || !get_bytes(env, argv[4], &from, &from_len))
    return NULL;
  if (!check_range(env, start, end, buf_len, "receive range outside the buffer")) return NULL;
  if (from_len < 6) return throw_range(env, "the address array needs 6 bytes"), NULL;
  if (fd > INT32_MAX) return throw_arg(env, "fd out of range"), NULL;
  struct sockaddr_in sa;
  socklen_t sa_len = sizeof sa;
  memset(&sa, 0, sizeof sa);
  ssize_t n = recvfrom((int)fd, buf + start, end - start, MSG_DONTWAIT | MSG_TRUNC, (struct sockaddr *)&sa, &sa_len);
  int32_t result;
  if (n < 0) result = -errno;
  else if ((size_t)n > end - start) result = -EMSGSIZE;
  else {
    result = (int32_t)n;
    memcpy(from, &sa.sin_addr.s_addr, 4); /* network order: big-endian */
    memcpy(from + 4, &sa.sin_port, 2);
  }
  napi_value out;
  napi_create_int32(env, result, &out);
  return out;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor fns[] = {
      {"aeadContext", NULL, aead_context, NULL, NULL, NULL, napi_enumerable, NULL},
      {"aeadSeal", NULL, aead_seal, NULL, NULL, NULL, napi_enumerable, NULL},
      {"aeadOpen", NULL, aead_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"cbcHmacContext", NULL, cbc_context, NULL, NULL, NULL, napi_enumerable, NULL},
      {"cbcEncrypt", NULL, cbc_encrypt, NULL, NULL, NULL, napi_enumerable, NULL},
      {"cbcDecrypt", NULL, cbc_decrypt, NULL, NULL, NULL, napi_enumerable, NULL},
      {"hmac", NULL, hmac, NULL, NULL, NULL, napi_enumerable, NULL},
      {"randomFill", NULL, random_fill, NULL, NULL, NULL, napi_enumerable, NULL},
      {"copyRange", NULL, copy_range, NULL, NULL, NULL, napi_enumerable, NULL},
      {"udpSendto", NULL, udp_sendto, NULL, NULL, NULL, napi_enumerable, NULL},
      {"udpRecvfrom", NULL, udp_recvfrom, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof fns / sizeof fns[0], fns) != napi_ok) return NULL;
  napi_value version;
  napi_create_string_utf8(env, OpenSSL_version(OPENSSL_VERSION), NAPI_AUTO_LENGTH, &version);
  napi_set_named_property(env, exports, "opensslVersion", version);
  return exports;
}

#ifndef NODE_GYP_MODULE_NAME
#define NODE_GYP_MODULE_NAME buflab_aead
#endif
NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
