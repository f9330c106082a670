//! How the process keeps the memory an alert frees (glibc's allocator, as Lambda's
//! `provided.al2023` runs it).
//!
//! An alert with a large policy document builds messages of a few hundred kilobytes. By
//! default glibc serves allocations above 128 KiB with their own `mmap` and returns them to
//! the kernel when freed, and gives back the top of the heap once 128 KiB of it is free: the
//! next alert then faults every page in again (measured: the Publish request of the largest
//! inline policy IAM accepts took 206 µs that way and 94 µs with the memory kept;
//! BENCHMARKS.md). [`keep_freed_memory`] keeps what was freed for the next alert, up to
//! [`KEPT_BYTES`]: the function's memory stays at its high-water mark, which is what Lambda
//! bills and limits anyway.

/// Allocations up to this size come from the heap (and are reused), not from `mmap`.
pub const HEAP_ALLOCATIONS_UP_TO: usize = 8 << 20;
/// Free memory at the top of the heap kept for the next alert rather than given back.
pub const KEPT_BYTES: usize = 32 << 20;

/// Sets glibc's thresholds so that freed memory is reused, not returned and faulted in
/// again (see the module). Called once at start-up by `main`, and by the benchmarks, which
/// measure the work as the function does it. Nothing to do on other C libraries.
pub fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // Both as c_int (they fit); mallopt only sets the allocator's parameters.
        let params = [
            (
                libc::M_MMAP_THRESHOLD,
                HEAP_ALLOCATIONS_UP_TO as libc::c_int,
            ),
            (libc::M_TRIM_THRESHOLD, KEPT_BYTES as libc::c_int),
        ];
        for (param, value) in params {
            // SAFETY: mallopt changes two of glibc's tuning parameters; it is called before any
            // other thread exists and has no memory-safety preconditions.
            let ok = unsafe { libc::mallopt(param, value) };
            if ok != 1 {
                tracing::warn!(
                    param,
                    value,
                    "mallopt refused a heap parameter; the defaults stay"
                );
            }
        }
    }
}
