/* A stand-in for Windows' bcryptprimitives.dll, for running our .exe files under wine 8.0 only.
 *
 * Rust's standard library (1.78 and later) takes its random numbers from `ProcessPrng` in
 * bcryptprimitives.dll, which real Windows has and wine gained in 8.13; Debian 12's wine 8.0
 * lacks it, so every Rust program fails to start there. This DLL exports `ProcessPrng` and fills
 * the buffer with `RtlGenRandom` (`SystemFunction036` in advapi32), which wine 8.0 has. Built
 * with `x86_64-w64-mingw32-gcc -shared -O2 -o bcryptprimitives.dll bcryptprimitives.c
 * bcryptprimitives.def -ladvapi32` and found through WINEPATH; it is never shipped. (Checked:
 * a Rust 1.95 program built for x86_64-pc-windows-gnu runs under wine 8.0 with it and fails to
 * start without it. `.ci/windows-tests` builds and uses it.) */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length) {
    while (length > 0) {
        ULONG chunk = length > 0x10000000 ? 0x10000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk)) return FALSE;
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
