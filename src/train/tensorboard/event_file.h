#pragma once
// TensorBoard event files, written natively: a file of TFRecords, each holding one `Event`
// protobuf. The first event carries file_version "brain.Event:2"; every later one a step, a wall
// time and a `Summary` with one scalar (tag, simple_value), which TensorBoard's scalar dashboard
// reads.
//
// TFRecord framing (little-endian): u64 length, u32 masked CRC-32C of those 8 bytes, the data,
// u32 masked CRC-32C of the data; masked(c) = ((c >> 15) | (c << 17)) + 0xa282ead8.
// Event: wall_time = 1 (double), step = 2 (int64), file_version = 3 (string), summary = 5;
// Summary: value = 1 (repeated); Summary.Value: tag = 1 (string), simple_value = 2 (float).
#include <cstdint>
#include <fstream>
#include <string>
#include <string_view>

namespace ascent::tensorboard {

// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) of `n` bytes.
uint32_t crc32c(const void* data, size_t n);
// The record framing around `data` (the bytes of one serialised protobuf).
std::string tfrecord(std::string_view data);

class EventFile {
 public:
  // Creates `dir` and the file `dir/events.out.tfevents.<unix time>.<host>.<pid>`, and writes the
  // file-version event. Throws ascent::Error "[train] --tensorboard-dir DIR: ..." on failure.
  explicit EventFile(const std::string& dir);
  // Appends one scalar event (the value is stored as a 32-bit float, as TensorBoard keeps it).
  void scalar(std::string_view tag, double value, int64_t step);
  // Makes what was written visible to a TensorBoard reading the file now.
  void flush();
  const std::string& path() const { return path_; }

 private:
  void write_event(const std::string& event);
  std::string path_;
  std::ofstream out_;
};

}  // namespace ascent::tensorboard
