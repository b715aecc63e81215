// Minimal fork-join helper: run `body(task)` for task in [0, tasks) on `threads` workers.
// Heavy kernels call this instead of OpenMP so that one build works the same everywhere and
// the thread count is an explicit option (`threads`, default: all cores).
#pragma once
#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace gm {

inline int resolveThreads(int requested) {
  if (requested > 0) return requested;
  unsigned hc = std::thread::hardware_concurrency();
  return hc == 0 ? 1 : static_cast<int>(hc);
}

template <typename Body>
void parallelFor(long tasks, int threads, Body body) {
  if (tasks <= 0) return;
  int workers = static_cast<int>(std::min<long>(resolveThreads(threads), tasks));
  if (workers <= 1) {
    for (long t = 0; t < tasks; ++t) body(t);
    return;
  }
  std::atomic<long> next{0};
  std::exception_ptr failure;
  std::mutex failureLock;
  auto run = [&]() {
    try {
      for (long t = next.fetch_add(1); t < tasks; t = next.fetch_add(1)) body(t);
    } catch (...) {
      std::lock_guard<std::mutex> g(failureLock);
      if (!failure) failure = std::current_exception();
      next.store(tasks);
    }
  };
  std::vector<std::thread> pool;
  pool.reserve(workers - 1);
  for (int w = 1; w < workers; ++w) pool.emplace_back(run);
  run();
  for (auto& th : pool) th.join();
  if (failure) std::rethrow_exception(failure);
}

}  // namespace gm
