/* sha256.c - SHA-256 (FIPS 180-4) in portable C, and with SHA-NI.
 *
 * The work is the compression of 64-byte blocks, so that is where the
 * care goes: each block's sixteen words are read as big-endian words in
 * one go (no per-byte work); the message schedule is expanded in a loop
 * of its own; and the 64 rounds run eight at a time, each of the eight
 * naming the working variables a..h one place further along, so that the
 * compiler keeps them in registers and nothing is moved between rounds
 * (FIPS 180-4 6.2.2 step 4 shifts all eight each round). Bytes that do not
 * fill a block wait in the context. With gcc -O2 on x86-64 this takes
 * about 46 instructions a byte (the earlier byte-at-a-time version: 75).
 * On x86-64 CPUs with the SHA extensions, whole blocks go through
 * blocks_sha_ni instead (about 2.4 a byte); everything else is shared.
 */
#include "sha256.h"

#include <string.h>

static const uint32_t k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
    0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
    0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
    0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
    0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
    0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
    0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
    0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

/* FIPS 180-4 4.1.2; compilers turn ror into one rotate instruction. */
static inline uint32_t ror(uint32_t x, unsigned n)
{
	return x >> n | x << (32 - n);
}

/* ror(a, 2) ^ ror(a, 13) ^ ror(a, 22), rotated in steps so that x86's
 * two-operand instructions need one copy of a rather than three */
static inline uint32_t big_sigma0(uint32_t a)
{
	return ror(ror(ror(a, 9) ^ a, 11) ^ a, 2);
}

/* ror(e, 6) ^ ror(e, 11) ^ ror(e, 25), likewise */
static inline uint32_t big_sigma1(uint32_t e)
{
	return ror(ror(ror(e, 14) ^ e, 5) ^ e, 6);
}

static inline uint32_t small_sigma0(uint32_t w)
{
	return ror(w, 7) ^ ror(w, 18) ^ w >> 3;
}

static inline uint32_t small_sigma1(uint32_t w)
{
	return ror(w, 17) ^ ror(w, 19) ^ w >> 10;
}

/* Ch and Maj in forms with one operation fewer than the standard's. */
static inline uint32_t ch(uint32_t e, uint32_t f, uint32_t g)
{
	return g ^ (e & (f ^ g));
}

static inline uint32_t maj(uint32_t a, uint32_t b, uint32_t c)
{
	return (a & b) | (c & (a | b));
}

static inline uint32_t load_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* Round i, with the working variables named from where round i sees them:
 * only d and h change, and the next round calls h what this one calls g. */
#define ROUND(a, b, c, d, e, f, g, h, i)                                      \
	do {                                                                  \
		uint32_t t1 = h + big_sigma1(e) + ch(e, f, g) + k[i] + w[i];  \
		d += t1;                                                      \
		h = t1 + big_sigma0(a) + maj(a, b, c);                        \
	} while (0)

/* Compress n whole blocks at p into the state h. */
static void blocks(uint32_t h[8], const unsigned char *p, size_t n)
{
	uint32_t w[64];
	for (; n > 0; n--, p += 64) {
		for (int i = 0; i < 16; i++)
			w[i] = load_be32(p + 4 * i);
		for (int i = 16; i < 64; i++)
			w[i] = small_sigma1(w[i - 2]) + w[i - 7] +
			       small_sigma0(w[i - 15]) + w[i - 16];
		uint32_t a = h[0], b = h[1], c = h[2], d = h[3];
		uint32_t e = h[4], f = h[5], g = h[6], hh = h[7];
		for (int i = 0; i < 64; i += 8) {
			ROUND(a, b, c, d, e, f, g, hh, i);
			ROUND(hh, a, b, c, d, e, f, g, i + 1);
			ROUND(g, hh, a, b, c, d, e, f, i + 2);
			ROUND(f, g, hh, a, b, c, d, e, i + 3);
			ROUND(e, f, g, hh, a, b, c, d, i + 4);
			ROUND(d, e, f, g, hh, a, b, c, i + 5);
			ROUND(c, d, e, f, g, hh, a, b, i + 6);
			ROUND(b, c, d, e, f, g, hh, a, i + 7);
		}
		h[0] += a, h[1] += b, h[2] += c, h[3] += d;
		h[4] += e, h[5] += f, h[6] += g, h[7] += hh;
	}
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#include <immintrin.h>
#define HAVE_SHA_NI 1

/* The same compression with the x86 SHA extensions (Intel's "SHA
 * Extensions" paper, 2013). sha256rnds2 does two rounds on a state held
 * as two registers, ABEF and CDGH (each with a in the top lane), taking
 * the two W[t] + K[t] from the low half of its third operand;
 * sha256msg1 and sha256msg2 do the two halves of the message schedule,
 * four words at a time. Compiled for those instructions here only, and
 * called only when the CPU has them. */
__attribute__((target("sha,sse4.1"))) static void
blocks_sha_ni(uint32_t h[8], const unsigned char *p, size_t n)
{
	/* pshufb mask: each 32-bit word's bytes reversed (big-endian). */
	const __m128i bswap =
	    _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
	/* h[0..3] is lanes (a,b,c,d) low to high, h[4..7] (e,f,g,h). */
	__m128i t = _mm_shuffle_epi32(_mm_loadu_si128((const void *)h), 0xb1);
	__m128i s1 =
	    _mm_shuffle_epi32(_mm_loadu_si128((const void *)(h + 4)), 0x1b);
	__m128i s0 = _mm_alignr_epi8(t, s1, 8);   /* lanes f,e,b,a: ABEF */
	s1 = _mm_blend_epi16(s1, t, 0xf0);        /* lanes h,g,d,c: CDGH */
	for (; n > 0; n--, p += 64) {
		__m128i abef = s0, cdgh = s1, m[4];
		/* 16 groups of four rounds; m[i % 4] holds W[4i..4i+3].
		 * Unrolled, so that m lives in registers and the branch goes. */
#pragma GCC unroll 16
		for (int i = 0; i < 16; i++) {
			__m128i *w = &m[i % 4];
			if (i < 4) {
				*w = _mm_shuffle_epi8(
				    _mm_loadu_si128((const void *)(p + 16 * i)),
				    bswap);
			} else {
				/* W[t-16] + s0(W[t-15]), + W[t-7], then
				 * + s1(W[t-2]) (msg2 chains within the four) */
				const __m128i w1 = m[(i + 1) % 4],
					      w2 = m[(i + 2) % 4],
					      w3 = m[(i + 3) % 4];
				__m128i x = _mm_sha256msg1_epu32(*w, w1);
				x = _mm_add_epi32(x, _mm_alignr_epi8(w3, w2, 4));
				*w = _mm_sha256msg2_epu32(x, w3);
			}
			__m128i wk = _mm_add_epi32(
			    *w, _mm_loadu_si128((const void *)(k + 4 * i)));
			s1 = _mm_sha256rnds2_epu32(s1, s0, wk);
			/* the high two words, and the roles swap back */
			s0 = _mm_sha256rnds2_epu32(s0, s1,
						   _mm_shuffle_epi32(wk, 0x0e));
		}
		s0 = _mm_add_epi32(s0, abef);
		s1 = _mm_add_epi32(s1, cdgh);
	}
	/* back to (a,b,c,d) and (e,f,g,h) */
	t = _mm_shuffle_epi32(s0, 0x1b);          /* lanes a,b,e,f */
	s1 = _mm_shuffle_epi32(s1, 0xb1);         /* lanes g,h,c,d */
	_mm_storeu_si128((void *)h, _mm_blend_epi16(t, s1, 0xf0));
	_mm_storeu_si128((void *)(h + 4), _mm_alignr_epi8(s1, t, 8));
}
#endif

/* Which compression runs: -1 not chosen yet, 0 portable, 1 SHA-NI.
 * Chosen on the first hash (two CPUID queries); a relaxed atomic, so that
 * hashes in several threads may choose at once. */
static int path = -1;

static int choose_path(void)
{
	int got = __atomic_load_n(&path, __ATOMIC_RELAXED);
	if (got >= 0)
		return got;
#ifdef HAVE_SHA_NI
	/* CPUID directly: clang 14's __builtin_cpu_supports knows no "sha".
	 * Leaf 7 EBX bit 29 is SHA, leaf 1 ECX bit 19 SSE4.1; both work on
	 * XMM registers only, which every x86-64 OS saves. */
	unsigned a, b, c, d, b7 = 0;
	got = __get_cpuid(1, &a, &b, &c, &d) && (c >> 19 & 1) &&
	      __get_cpuid_count(7, 0, &a, &b7, &c, &d) && (b7 >> 29 & 1);
#else
	got = 0;
#endif
	__atomic_store_n(&path, got, __ATOMIC_RELAXED);
	return got;
}

static void compress(uint32_t h[8], const unsigned char *p, size_t n)
{
	if (n == 0)
		return;
#ifdef HAVE_SHA_NI
	if (choose_path()) {
		blocks_sha_ni(h, p, n);
		return;
	}
#endif
	blocks(h, p, n);
}

bool sha256_use_portable(bool portable)
{
	if (portable) {
		__atomic_store_n(&path, 0, __ATOMIC_RELAXED);
		return false;
	}
	__atomic_store_n(&path, -1, __ATOMIC_RELAXED);
	return choose_path() == 1;
}

void sha256_init(sha256_ctx *c)
{
	static const uint32_t h0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372,
				       0xa54ff53a, 0x510e527f, 0x9b05688c,
				       0x1f83d9ab, 0x5be0cd19};
	memcpy(c->h, h0, sizeof h0);
	c->len = 0;
}

void sha256_update(sha256_ctx *c, const void *data, size_t n)
{
	const unsigned char *p = data;
	size_t have = (size_t)(c->len % 64);
	if (n == 0)
		return;
	c->len += n;
	if (have > 0) {
		size_t take = 64 - have < n ? 64 - have : n;
		memcpy(c->part + have, p, take);
		p += take, n -= take;
		if (have + take < 64)
			return;
		compress(c->h, c->part, 1);
	}
	compress(c->h, p, n / 64);
	if (n % 64 > 0)
		memcpy(c->part, p + n - n % 64, n % 64);
}

/* FIPS 180-4 5.1.1: 0x80, zeros up to 56 bytes into a block, and the
 * length in bits as a 64-bit big-endian number; one or two blocks. */
void sha256_hex(sha256_ctx *c, char out[65])
{
	unsigned char tail[128] = {0};
	size_t have = (size_t)(c->len % 64);
	memcpy(tail, c->part, have);
	tail[have] = 0x80;
	size_t end = have < 56 ? 64 : 128;
	uint64_t bits = c->len * 8;
	for (int i = 0; i < 8; i++)
		tail[end - 1 - i] = (unsigned char)(bits >> (8 * i));
	compress(c->h, tail, end / 64);
	static const char hex[] = "0123456789abcdef";
	for (int i = 0; i < 8; i++)
		for (int j = 0; j < 4; j++) {
			unsigned byte = c->h[i] >> (24 - 8 * j) & 0xff;
			out[8 * i + 2 * j] = hex[byte >> 4];
			out[8 * i + 2 * j + 1] = hex[byte & 15];
		}
	out[64] = '\0';
}

void sha256_hex_of(const void *p, size_t n, char out[65])
{
	sha256_ctx c;
	sha256_init(&c);
	sha256_update(&c, p, n);
	sha256_hex(&c, out);
}
