// A vector of trivially copyable values that keeps the first N inline and
// goes to the heap only beyond them: most subscribers have one HELO, one
// destination and one sender domain, and a heap container each cost them
// ~100 bytes (docs/PERFORMANCE.md, "One million subscribers").
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <utility>

namespace botwarden::behaviour {

// What one heap block costs beyond its bytes (glibc malloc's header and
// rounding, roughly): the byte budget counts it.
inline constexpr std::size_t kHeapBlockOverhead = 16;

template <class T, std::size_t N>
class SmallVector {
  static_assert(std::is_trivially_copyable_v<T> && std::is_trivially_default_constructible_v<T>);
  static_assert(N >= 1 && N <= 0xffff);

 public:
  SmallVector() = default;
  SmallVector(const SmallVector&) = delete;
  SmallVector& operator=(const SmallVector&) = delete;
  SmallVector(SmallVector&& other) noexcept { take(other); }
  SmallVector& operator=(SmallVector&& other) noexcept {
    if (this != &other) {
      release();
      take(other);
    }
    return *this;
  }
  ~SmallVector() { release(); }

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  T* begin() { return data(); }
  T* end() { return data() + size_; }
  const T* begin() const { return data(); }
  const T* end() const { return data() + size_; }
  T& operator[](std::size_t i) { return data()[i]; }
  const T& operator[](std::size_t i) const { return data()[i]; }
  T& front() { return data()[0]; }
  // Heap bytes held, kHeapBlockOverhead included (0 while the values fit inline).
  std::size_t heap_bytes() const { return on_heap() ? capacity_ * sizeof(T) + kHeapBlockOverhead : 0; }

  T& push_back(const T& value) {
    if (size_ == capacity_) grow();
    T* slot = data() + size_;
    *slot = value;
    ++size_;
    return *slot;
  }

  // Removes the value at `at`, keeping the order of the others.
  void erase(T* at) {
    T* const last = end();
    std::memmove(static_cast<void*>(at), at + 1, static_cast<std::size_t>(last - at - 1) * sizeof(T));
    --size_;
  }

  // Removes the first `n` values.
  void erase_front(std::size_t n) {
    n = std::min<std::size_t>(n, size_);
    std::memmove(static_cast<void*>(data()), data() + n, (size_ - n) * sizeof(T));
    size_ = static_cast<std::uint32_t>(size_ - n);
  }

  // Removes every value for which pred(value) holds; returns how many.
  template <class Pred>
  std::size_t erase_if(Pred&& pred) {
    T* out = data();
    for (T* in = data(); in != end(); ++in) {
      if (!pred(*in)) *out++ = *in;
    }
    const auto removed = static_cast<std::size_t>(end() - out);
    size_ = static_cast<std::uint32_t>(size_ - removed);
    return removed;
  }

  // Gives heap memory back: inline again when the values fit, else a
  // smaller block when three quarters of it are unused.
  void shrink() {
    if (!on_heap()) return;
    if (size_ <= N) {
      T* heap = heap_;
      std::memcpy(static_cast<void*>(inline_), heap, size_ * sizeof(T));
      delete[] heap;
      capacity_ = N;
    } else if (size_ < capacity_ / 4) {
      reallocate(std::max<std::size_t>(2 * size_, N + 1));
    }
  }

 private:
  bool on_heap() const { return capacity_ > N; }
  T* data() { return on_heap() ? heap_ : inline_; }
  const T* data() const { return on_heap() ? heap_ : inline_; }

  void grow() { reallocate(std::max<std::size_t>(2 * std::size_t{capacity_}, 4)); }
  void reallocate(std::size_t capacity) {
    T* fresh = new T[capacity];
    std::memcpy(static_cast<void*>(fresh), data(), size_ * sizeof(T));
    release();
    heap_ = fresh;
    capacity_ = static_cast<std::uint32_t>(capacity);
  }
  void release() {
    if (on_heap()) delete[] heap_;
    capacity_ = N;
  }
  void take(SmallVector& other) {
    size_ = other.size_;
    capacity_ = other.capacity_;
    if (other.on_heap()) {
      heap_ = other.heap_;
    } else {
      std::memcpy(static_cast<void*>(inline_), other.inline_, size_ * sizeof(T));
    }
    other.size_ = 0;
    other.capacity_ = N;
  }

  union {
    T inline_[N];
    T* heap_;
  };
  std::uint32_t size_ = 0;
  std::uint32_t capacity_ = N;
};

}  // namespace botwarden::behaviour
