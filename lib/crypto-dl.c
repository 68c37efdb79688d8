/* libcrypto through dlopen(): see lib/crypto-dl.h. */
#include "lib/crypto-dl.h"

#include <dlfcn.h>
#include <openssl/crypto.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/dl.h"
#include "lib/xalloc.h"

static void init_quietly(void *handle)
{
        /* no openssl.cnf: nothing box asks of libcrypto depends on it */
        int (*init)(uint64_t, const void *) =
                (int (*)(uint64_t, const void *))dlsym(handle, "OPENSSL_init_crypto");
        if (init)
                (void)init(OPENSSL_INIT_NO_LOAD_CONFIG, NULL);
}

static struct dl_lib libcrypto = DL_LIB("libcrypto.so.3", init_quietly);

void *crypto_dl_sym(const char *name)
{
        return dl_sym(&libcrypto, name);
}

char *crypto_base64_encode(const void *in, size_t n)
{
        int (*encode)(unsigned char *, const unsigned char *, int) = (int (*)(
                unsigned char *, const unsigned char *, int))crypto_dl_sym("EVP_EncodeBlock");
        char *out = xmalloc(4 * ((n + 2) / 3) + 1);
        encode((unsigned char *)out, in, (int)n);
        return out;
}

unsigned char *crypto_base64_decode(const char *b64, size_t *ret_n)
{
        int (*decode)(unsigned char *, const unsigned char *, int) = (int (*)(
                unsigned char *, const unsigned char *, int))crypto_dl_sym("EVP_DecodeBlock");
        size_t n = strlen(b64);
        if (n % 4 || n > INT32_MAX / 2)
                return NULL;
        unsigned char *out = xmalloc(n / 4 * 3 + 1);
        int k = decode(out, (const unsigned char *)b64, (int)n);
        if (k < 0) {
                free(out);
                return NULL;
        }
        /* EVP_DecodeBlock counts the padding's zero bytes */
        while (n > 0 && b64[n - 1] == '=') {
                n--;
                k--;
        }
        out[k] = '\0';
        *ret_n = (size_t)k;
        return out;
}
