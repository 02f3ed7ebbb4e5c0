/* bytes.c — GPT-2's reversible byte <-> unicode map of byte-level BPE.
 *
 * Layer: text (internal). Printable bytes (33..126, 161..172, 174..255) stand
 * for themselves; the other 68 bytes map, in increasing order, to U+0100.. so
 * every byte has a visible character (space is 'Ġ' U+0120, '\n' is 'Ċ' U+010A).
 * Pure functions, no state. */
#include "text/tok.h"

static int printable(unsigned b) { return (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174; }

/* The 68 non-printable bytes are 0..32, 127..160 and 173, in that order. */
uint32_t tok_byte_to_cp(unsigned char b)
{
    if (printable(b)) return b;
    if (b <= 32) return 256u + b;
    if (b <= 160) return 256u + 33u + (b - 127u);
    return 256u + 67u;   /* 173, soft hyphen */
}

int tok_cp_to_byte(uint32_t cp)
{
    if (cp < 256) return printable(cp) ? (int)cp : -1;
    if (cp >= 256 + 68) return -1;
    unsigned k = cp - 256;
    if (k < 33) return (int)k;
    if (k < 67) return (int)(127 + k - 33);
    return 173;
}

size_t tok_byte_utf8(unsigned char b, char out[2])
{
    uint32_t cp = tok_byte_to_cp(b);
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    out[0] = (char)(0xC0 | (cp >> 6));
    out[1] = (char)(0x80 | (cp & 0x3F));
    return 2;
}
