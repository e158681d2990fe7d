//! The module's allocator, wrapped to count the bytes it hands out.
//!
//! Wasm memory only ever grows, so the size of `WebAssembly.Memory` tells
//! how far the heap once reached, not what it holds. The counts here say
//! what is *live* now and the *peak* since the last [`reset_peak`], so
//! benchmarks can set them beside the bytes of the records themselves.
//!
//! A reallocation that moves a block counts the old and the new block
//! together for the peak: both exist at that moment.
//!
//! It also grows the memory in large steps. The allocator underneath
//! asks the engine for only as many 64 KiB pages as the request at hand
//! needs, so a million records, added a block at a time, grew the memory
//! some five hundred times; each `memory.grow` is a call into the engine
//! that costs from a few to a few hundred microseconds, by browser. After
//! any request that grew the memory, a block of [`GROWTH_STEP`] is taken
//! and given back at once: the allocator keeps it as free space at the
//! end of its heap, and the requests after it are served from there.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

/// Bytes allocated and not yet freed.
static LIVE: AtomicUsize = AtomicUsize::new(0);

/// The largest value [`LIVE`] reached since the last reset.
static PEAK: AtomicUsize = AtomicUsize::new(0);

/// The least the memory grows by at a time, once it has to grow.
const GROWTH_STEP: usize = 16 << 20;

/// The system allocator, counting.
pub struct Counting;

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Bytes allocated and not yet freed.
pub fn live() -> usize {
    LIVE.load(Relaxed)
}

/// The most bytes live at once since the last [`reset_peak`].
pub fn peak() -> usize {
    PEAK.load(Relaxed)
}

/// Starts measuring the peak again from what is live now.
pub fn reset_peak() {
    PEAK.store(LIVE.load(Relaxed), Relaxed);
}

fn grew(bytes: usize) {
    let live = LIVE.fetch_add(bytes, Relaxed) + bytes;
    PEAK.fetch_max(live, Relaxed);
}

fn shrank(bytes: usize) {
    LIVE.fetch_sub(bytes, Relaxed);
}

/// The size of the module's memory, in pages.
fn memory_pages() -> usize {
    core::arch::wasm32::memory_size::<0>()
}

/// Runs `request`, an allocation; when it grew the memory, makes room for
/// the next [`GROWTH_STEP`] bytes of requests in one step.
///
/// # Safety
///
/// `request` must be a call into `System` that upholds the `GlobalAlloc`
/// contract.
unsafe fn growing_in_steps(request: impl FnOnce() -> *mut u8) -> *mut u8 {
    let before = memory_pages();
    let block = request();
    if memory_pages() != before {
        let room = Layout::from_size_align(GROWTH_STEP, 1).expect("a layout");
        let ahead = System.alloc(room);
        if !ahead.is_null() {
            System.dealloc(ahead, room);
        }
    }
    block
}

// SAFETY: every call is passed unchanged to `System`, which upholds the
// `GlobalAlloc` contract; the counters only observe the sizes, and the
// block taken to grow the memory ahead is returned before anyone sees it.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let block = growing_in_steps(|| System.alloc(layout));
        if !block.is_null() {
            grew(layout.size());
        }
        block
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let block = growing_in_steps(|| System.alloc_zeroed(layout));
        if !block.is_null() {
            grew(layout.size());
        }
        block
    }

    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        System.dealloc(block, layout);
        shrank(layout.size());
    }

    unsafe fn realloc(
        &self,
        block: *mut u8,
        layout: Layout,
        new_size: usize,
    ) -> *mut u8 {
        let moved =
            growing_in_steps(|| System.realloc(block, layout, new_size));
        if moved.is_null() {
            return moved;
        }
        if moved != block {
            // Copied: the old block was freed only after the copy.
            grew(new_size);
            shrank(layout.size());
        } else if new_size >= layout.size() {
            grew(new_size - layout.size());
        } else {
            shrank(layout.size() - new_size);
        }
        moved
    }
}
