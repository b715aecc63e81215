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

// The number of workers parallelFor(tasks, threads, ...) uses.
inline int workersFor(long tasks, int threads) {
  return static_cast<int>(std::max<long>(1, std::min<long>(resolveThreads(threads), tasks)));
}

// Runs body(task, worker) for task in [0, tasks); worker in [0, workersFor(tasks, threads)) is the
// index of the thread running it, for per-thread accumulators that are merged afterwards.
template <typename Body>
void parallelForWorkers(long tasks, int threads, Body body) {
  if (tasks <= 0) return;
  const int workers = workersFor(tasks, threads);
  if (workers <= 1) {
    for (long t = 0; t < tasks; ++t) body(t, 0);
    return;
  }
  std::atomic<long> next{0};
  std::exception_ptr failure;
  std::mutex failureLock;
  auto run = [&](int w) {
    try {
      for (long t = next.fetch_add(1); t < tasks; t = next.fetch_add(1)) body(t, w);
    } catch (...) {
      std::lock_guard<std::mutex> g(failureLock);
      if (!failure) failure = std::current_exception();
      next.store(tasks);
    }
  };
  std::vector<std::thread> pool;
  pool.reserve(workers - 1);
  for (int w = 1; w < workers; ++w) pool.emplace_back(run, w);
  run(0);
  for (auto& th : pool) th.join();
  if (failure) std::rethrow_exception(failure);
}

template <typename Body>
void parallelFor(long tasks, int threads, Body body) {
  parallelForWorkers(tasks, threads, [&](long t, int) { body(t); });
}

}  // namespace gm
