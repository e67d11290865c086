#pragma once
// Messages about user input: list what is allowed, suggest the nearest name.

#include <string>
#include <vector>

namespace enu {

std::string join(const std::vector<std::string>& items, const char* separator = ", ");
/// Levenshtein distance.
size_t edit_distance(const std::string& a, const std::string& b);
/// The closest candidate within edit distance 2, or "". Short words need a
/// closer match: any two-letter key is within 2 of "a".
std::string closest(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace enu
