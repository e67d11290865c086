#pragma once
// thrust::transform_iterator as the emulation build sees it: element n is
// f(base[n]), computed when read (Thrust's documented semantics; only what
// cuda/ uses).

#include <cstddef>
#include <iterator>
#include <type_traits>

namespace thrust {

template <class AdaptableUnaryFunction, class Iterator>
class transform_iterator {
 public:
  using value_type = std::decay_t<std::invoke_result_t<const AdaptableUnaryFunction&,
                                                       typename std::iterator_traits<Iterator>::reference>>;
  using reference = value_type;
  using difference_type = std::ptrdiff_t;
  using pointer = void;
  using iterator_category = std::random_access_iterator_tag;

  transform_iterator(Iterator base, AdaptableUnaryFunction f) : base_(base), f_(f) {}

  reference operator*() const { return f_(*base_); }
  reference operator[](difference_type n) const { return f_(base_[n]); }
  transform_iterator& operator++() { ++base_; return *this; }
  transform_iterator& operator+=(difference_type n) { base_ += n; return *this; }
  friend transform_iterator operator+(transform_iterator it, difference_type n) { return it += n; }
  friend difference_type operator-(const transform_iterator& a, const transform_iterator& b) {
    return a.base_ - b.base_;
  }
  friend bool operator==(const transform_iterator& a, const transform_iterator& b) { return a.base_ == b.base_; }
  friend bool operator!=(const transform_iterator& a, const transform_iterator& b) { return !(a == b); }
  const Iterator& base() const { return base_; }

 private:
  Iterator base_;
  AdaptableUnaryFunction f_;
};

template <class Iterator, class AdaptableUnaryFunction>
transform_iterator<AdaptableUnaryFunction, Iterator> make_transform_iterator(Iterator base, AdaptableUnaryFunction f) {
  return transform_iterator<AdaptableUnaryFunction, Iterator>(base, f);
}

}  // namespace thrust
