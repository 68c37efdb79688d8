/* libcrypto (OpenSSL), loaded with dlopen() on first use, as libarchive
 * (lib/archive-dl.h) and libcurl (image/http.c) are: most commands hash
 * nothing (box version, ps, stop), and linking libcrypto costs every start
 * its relocations plus, on first use, a read of openssl.cnf, which box does
 * not want either (OPENSSL_INIT_NO_LOAD_CONFIG).
 *
 * The library is confined to lib/crypto-dl.c and lib/sha256.c; no OpenSSL
 * type appears in a header.  A libcrypto that cannot be loaded ends box
 * with exit 127 and the loader's message, as a missing DT_NEEDED would. */
#pragma once

#include <stddef.h>

/* The address of libcrypto's symbol NAME (never NULL). */
void *crypto_dl_sym(const char *name);

/* Base64 (RFC 4648, with padding) of N bytes of IN: a string, the caller's. */
char *crypto_base64_encode(const void *in, size_t n);
/* Decodes the NUL-terminated B64 (with padding) into a new buffer of
 * *RET_N bytes plus a NUL; NULL when B64 is not base64. */
unsigned char *crypto_base64_decode(const char *b64, size_t *ret_n);
