// What one Argon2id hash (libsodium crypto_pwhash_str, as captivectl user
// add makes them and captived verifies them) costs on this machine, by
// opslimit and memlimit: the CPU time of the hashing thread (median of 7;
// CLOCK_THREAD_CPUTIME_ID, so other load on a shared machine does not count)
// and the peak RSS.
// Build and run by hand (docs/performance.md, "Password hashing"):
//   g++ -O2 -std=c++20 -o build/bench-pwhash bench/pwhash.cpp -lsodium && build/bench-pwhash
#include <sodium.h>
#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <vector>

double cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main() {
  if (sodium_init() < 0) return 1;
  std::printf("%-6s %-9s %13s %15s %12s\n", "ops", "mem(KiB)", "hash(cpu ms)", "verify(cpu ms)", "maxrss(KiB)");
  for (unsigned long long ops : {1ull, 2ull, 3ull, 4ull}) {
    for (std::size_t mem_kib : {4096u, 8192u, 16384u, 32768u, 65536u}) {
      char hashed[crypto_pwhash_STRBYTES];
      std::vector<double> hash_ms, verify_ms;
      for (int i = 0; i < 7; ++i) {
        const double t0 = cpu_ms();
        if (crypto_pwhash_str(hashed, "correct horse", 13, ops, mem_kib * 1024) != 0) return 2;
        const double t1 = cpu_ms();
        if (crypto_pwhash_str_verify(hashed, "correct horse", 13) != 0) return 3;
        const double t2 = cpu_ms();
        hash_ms.push_back(t1 - t0);
        verify_ms.push_back(t2 - t1);
      }
      std::sort(hash_ms.begin(), hash_ms.end());
      std::sort(verify_ms.begin(), verify_ms.end());
      rusage ru{};
      getrusage(RUSAGE_SELF, &ru);
      std::printf("%-6llu %-9zu %13.1f %15.1f %12ld\n", ops, mem_kib, hash_ms[3], verify_ms[3], ru.ru_maxrss);
    }
  }
}
