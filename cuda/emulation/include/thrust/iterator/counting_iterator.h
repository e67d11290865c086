#pragma once
// thrust::counting_iterator as the emulation build sees it: a random-access
// iterator whose element n is the start value plus n (Thrust's documented
// semantics; only what cuda/ uses).

#include <cstddef>
#include <iterator>

namespace thrust {

template <class Incrementable>
class counting_iterator {
 public:
  using value_type = Incrementable;
  using reference = Incrementable;
  using difference_type = std::ptrdiff_t;
  using pointer = void;
  using iterator_category = std::random_access_iterator_tag;

  counting_iterator() = default;
  explicit counting_iterator(Incrementable start) : value_(start) {}

  reference operator*() const { return value_; }
  reference operator[](difference_type n) const { return value_ + Incrementable(n); }
  counting_iterator& operator++() { ++value_; return *this; }
  counting_iterator& operator+=(difference_type n) { value_ += Incrementable(n); return *this; }
  friend counting_iterator operator+(counting_iterator it, difference_type n) { return it += n; }
  friend difference_type operator-(const counting_iterator& a, const counting_iterator& b) {
    return difference_type(a.value_) - difference_type(b.value_);
  }
  friend bool operator==(const counting_iterator& a, const counting_iterator& b) { return a.value_ == b.value_; }
  friend bool operator!=(const counting_iterator& a, const counting_iterator& b) { return !(a == b); }

 private:
  Incrementable value_{};
};

}  // namespace thrust
