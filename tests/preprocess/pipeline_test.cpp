// Whole runs through the readers: every input format gives the same datasets, bad input is counted
// per reason with its location, --strict stops, --seq-length drops or cuts, and a failed or
// interrupted run leaves no output.
#include "preprocess/pipeline.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <vector>

#include "data/readers/reader_test_util.h"
#include "preprocess/preprocess_test_util.h"

namespace ascent::preprocess::testing {
namespace {

using data::readers::Problem;
using data::readers::testing::gzip_bytes;
using data::readers::testing::run_duckdb;
using data::readers::testing::sql_quote;
using data::readers::testing::zstd_bytes;
using json = nlohmann::json;
namespace fs = std::filesystem;

const char* kTripleKeys[] = {"input_ids", "attention_mask", "labels"};

std::vector<json> parse_lines(const std::string& jsonl_text) {
  std::vector<json> out;
  for (const std::string& line : lines_of(jsonl_text)) out.push_back(json::parse(line));
  return out;
}

std::string csv_field(const std::string& s) {
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

// Every file of a run's datasets, bytes by prefix + ext.
std::vector<std::string> output_bytes(const PreprocessStats& s) {
  std::vector<std::string> out;
  for (const std::string& p : s.outputs)
    for (const char* ext : {".bin", ".idx"}) out.push_back(read_text(p + ext));
  return out;
}

// Files in `dir` other than `keep`.
std::vector<std::string> stray_files(const std::string& dir, const std::vector<std::string>& keep) {
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    const std::string name = e.path().filename().string();
    if (std::find(keep.begin(), keep.end(), name) == keep.end()) out.push_back(name);
  }
  return out;
}

TEST(Pipeline, EveryInputFormatGivesTheSameInstructionDatasets) {
  TestDir dir;
  // GSM8K as Alpaca instruction data: question -> instruction, answer -> output.
  const std::string lines = first_lines(shared_data("gsm8k/train.jsonl"), 300);
  const std::vector<json> records = parse_lines(lines);
  write_text(dir / "gsm.jsonl", lines);
  write_text(dir / "gsm.json", json(records).dump(2));
  std::string csv = "question,answer\r\n";
  for (const json& r : records)
    csv += csv_field(r["question"]) + "," + csv_field(r["answer"]) + "\r\n";
  write_text(dir / "gsm.csv", csv);
  write_text(dir / "gsm.jsonl.gz", gzip_bytes(lines));
  write_text(dir / "gsm.csv.zst", zstd_bytes(csv));
  run_duckdb({"COPY (SELECT question, answer FROM read_json_auto(" + sql_quote(dir / "gsm.jsonl") +
              ")) TO " + sql_quote(dir / "gsm.parquet") +
              " (FORMAT parquet, COMPRESSION snappy, ROW_GROUP_SIZE 100)"},
             dir);
  fs::create_directories(dir / "shards");
  for (int k = 0; k < 3; ++k) {
    std::string part;
    for (size_t i = static_cast<size_t>(k) * 100; i < static_cast<size_t>(k + 1) * 100; ++i)
      part += records[i].dump() + "\n";
    write_text(dir / ("shards/part-" + std::to_string(k) + ".jsonl"), part);
  }

  const auto run_on = [&](const std::string& input, int workers) {
    PreprocessOptions o = options(input, dir / ("out/" + fs::path(input).filename().string()),
                                  "GeneralInstructionHandler");
    o.map_keys = {{"instruction", "question"}, {"output", "answer"}};
    o.append_eod = true;
    o.workers = workers;
    return run_preprocess(o);
  };
  const PreprocessStats base = run_on(dir / "gsm.jsonl", 1);
  EXPECT_EQ(base.documents, 300);
  EXPECT_EQ(base.problem_count(), 0);
  ASSERT_EQ(base.outputs.size(), 3u);
  for (size_t k = 0; k < 3; ++k)
    EXPECT_EQ(base.outputs[k],
              dir / ("out/gsm.jsonl_packed_" + std::string(kTripleKeys[k]) + "_document"));
  const std::vector<std::string> want = output_bytes(base);
  for (const char* input :
       {"gsm.json", "gsm.csv", "gsm.jsonl.gz", "gsm.csv.zst", "gsm.parquet", "shards"}) {
    const PreprocessStats s = run_on(dir / input, 3);
    EXPECT_EQ(s.documents, 300) << input;
    EXPECT_EQ(s.problem_count(), 0) << input;
    EXPECT_EQ(output_bytes(s), want) << input;
  }
  // The samples are what the handler makes of each record.
  const auto triple = read_triple(dir / "out/gsm.jsonl_packed");
  ASSERT_EQ(triple.size(), 300u);
  for (size_t i = 0; i < 300; i += 37)
    EXPECT_EQ(trained_texts(triple[i][0], llama2()),
              std::vector<std::string>{records[i]["answer"].get<std::string>() + "\n"});
}

TEST(Pipeline, TextInputsLinesOrWholeFiles) {
  TestDir dir;
  const std::string text = first_lines(shared_data("tinyshakespeare/input.txt"), 2000);
  write_text(dir / "s.txt", text);
  write_text(dir / "s.txt.gz", gzip_bytes(text));
  write_text(dir / "s.txt.zst", zstd_bytes(text));
  std::string jsonl;
  for (const std::string& line : lines_of(text)) jsonl += json{{"text", line}}.dump() + "\n";
  write_text(dir / "s.jsonl", jsonl);
  std::vector<std::vector<std::string>> outs;
  for (const char* input : {"s.txt", "s.txt.gz", "s.txt.zst", "s.jsonl"}) {
    PreprocessOptions o = options(dir / input, dir / (std::string("out_") + input));
    o.append_eod = true;
    const PreprocessStats s = run_preprocess(o);
    EXPECT_EQ(s.problem_count(), 0) << input;
    outs.push_back(output_bytes(s));
  }
  for (size_t i = 1; i < outs.size(); ++i) EXPECT_EQ(outs[i], outs[0]) << i;

  // --document-per-file: a directory of .txt files, each one document.
  fs::create_directories(dir / "books");
  const std::vector<std::string> books = {text.substr(0, 5000), text.substr(5000, 7000),
                                          "\xEF\xBB\xBFwith a BOM\n"};
  for (size_t i = 0; i < books.size(); ++i)
    write_text(dir / ("books/" + std::to_string(i) + ".txt"), books[i]);
  PreprocessOptions o = options(dir / "books", dir / "books_out");
  o.document_per_file = true;
  const PreprocessStats s = run_preprocess(o);
  EXPECT_EQ(single_sequences(read_documents(s.outputs[0])),
            (std::vector<std::vector<int32_t>>{llama2().encode(books[0]), llama2().encode(books[1]),
                                               llama2().encode("with a BOM\n")}));
}

TEST(Pipeline, RealMossSampleThroughSharegptStyleTrainsEveryReply) {
  TestDir dir;
  const std::string sample = shared_data("moss_chat_sample/dummy_data.jsonl");
  PreprocessOptions o = options(sample, dir / "moss", "SharegptStyleInstructionHandler");
  o.prompt_type = "chatml";
  const PreprocessStats s = run_preprocess(o);
  EXPECT_EQ(s.documents, 33);
  EXPECT_EQ(s.problem_count(), 0);
  const auto triple = read_triple(dir / "moss_packed");
  ASSERT_EQ(triple.size(), 33u);
  const std::vector<json> records = parse_lines(read_text(sample));
  for (size_t i = 0; i < records.size(); ++i) {
    std::vector<std::string> want;
    for (const json& turn : records[i]["conversation"])
      want.push_back(turn["assistant"].get<std::string>() + "<|im_end|>");
    ASSERT_EQ(trained_texts(triple[i][0], llama2()), want) << "conversation " << i;
  }
}

TEST(Pipeline, BadJsonLinesPerReason) {
  TestDir dir;
  const std::string good = R"({"text": "fine"})";
  write_text(dir / "bad.jsonl", good + "\n" +                            // 1
                                    "{\"text\": \"cut\n" +               // 2 invalid_json
                                    "42\n" +                             // 3 not_an_object
                                    "{\"body\": \"x\"}\n" +              // 4 missing_key
                                    "{\"text\": [\"x\"]}\n" +            // 5 not_a_string
                                    "{\"text\": \"\"}\n" +               // 6 empty_text
                                    "{\"text\": \"bad \xFF byte\"}\n" +  // 7 invalid_utf8
                                    "{\"text\": null}\n" +               // 8 missing_key
                                    good + "\n");                        // 9
  PreprocessOptions o = options(dir / "bad.jsonl", dir / "out");
  o.max_examples = 1;
  const PreprocessStats s = run_preprocess(o);
  EXPECT_EQ(s.records, 9);
  EXPECT_EQ(s.documents, 2);
  const std::string f = dir / "bad.jsonl";
  const std::map<Problem, std::pair<int64_t, std::string>> want = {
      {Problem::kInvalidJson, {1, f + ":2: invalid JSON"}},
      {Problem::kNotAnObject, {1, f + ":3: not a JSON object"}},
      {Problem::kMissingKey, {2, f + ":4: missing key 'text'"}},
      {Problem::kNotAString, {1, f + ":5: key 'text' is not a string (array)"}},
      {Problem::kEmptyText, {1, f + ":6: key 'text' is an empty string"}},
      {Problem::kInvalidUtf8, {1, f + ":7: invalid JSON"}}};
  EXPECT_EQ(s.problems.size(), want.size());
  for (const auto& [reason, expect] : want) {
    ASSERT_EQ(s.problem_count(reason), expect.first) << data::readers::problem_name(reason);
    const auto& examples = s.problems.at(reason).examples;
    ASSERT_EQ(examples.size(), 1u);  // max_examples
    EXPECT_EQ(examples[0].rfind(expect.second, 0), 0u) << examples[0];
  }
  EXPECT_EQ(single_sequences(read_documents(s.outputs[0])),
            (std::vector<std::vector<int32_t>>{llama2().encode("fine"), llama2().encode("fine")}));
  const std::string summary = format_summary(o, s);
  for (const char* part :
       {"rejected     7", "invalid_json", "missing_key      2", "... and 1 more"})
    EXPECT_NE(summary.find(part), std::string::npos) << part << " not in\n" << summary;
}

TEST(Pipeline, BadTextCsvCompressedAndParquetInput) {
  TestDir dir;
  // .txt: a line that is not UTF-8.
  write_text(dir / "t.txt", "good line\nbad \xC3\x28 line\nanother\n");
  PreprocessStats s = run_preprocess(options(dir / "t.txt", dir / "t"));
  EXPECT_EQ(s.documents, 2);
  EXPECT_EQ(s.problem_count(Problem::kInvalidUtf8), 1);
  EXPECT_EQ(s.problems.at(Problem::kInvalidUtf8).examples[0],
            dir / "t.txt:2: text is not valid UTF-8");

  // .csv: a stray quote, a row with a field too many, then an unterminated quote.
  write_text(dir / "c.csv", "text,id\nok,1\nbro\"ken,2\nx,3,extra\nfine,4\n\"never closed,5\n");
  s = run_preprocess(options(dir / "c.csv", dir / "c"));
  EXPECT_EQ(s.documents, 2);
  EXPECT_EQ(s.problem_count(Problem::kCsvQuoting), 2);
  EXPECT_EQ(s.problem_count(Problem::kCsvFieldCount), 1);
  EXPECT_EQ(s.problems.at(Problem::kCsvFieldCount).examples[0].rfind(dir / "c.csv:4:", 0), 0u);
  EXPECT_EQ(single_sequences(read_documents(s.outputs[0])),
            (std::vector<std::vector<int32_t>>{llama2().encode("ok"), llama2().encode("fine")}));

  // .jsonl.gz cut in the middle: what came before the cut is kept.
  std::string lines;
  for (int i = 0; i < 4000; ++i)
    lines += json{{"text", "record " + std::to_string(i)}}.dump() + "\n";
  const std::string gz = gzip_bytes(lines);
  write_text(dir / "cut.jsonl.gz", gz.substr(0, gz.size() / 2));
  s = run_preprocess(options(dir / "cut.jsonl.gz", dir / "cut"));
  EXPECT_EQ(s.problem_count(Problem::kTruncated), 1);
  EXPECT_GT(s.documents, 100);
  EXPECT_LT(s.documents, 4000);

  // .parquet with a corrupt page in row group 1: the other row groups are written.
  std::string rows;
  for (int i = 0; i < 5000; ++i) rows += json{{"text", "row " + std::to_string(i)}}.dump() + "\n";
  write_text(dir / "rows.jsonl", rows);
  const std::string pq = dir / "rows.parquet";
  run_duckdb({"COPY (SELECT text FROM read_json(" + sql_quote(dir / "rows.jsonl") +
              ", columns={text: 'VARCHAR'})) TO " + sql_quote(pq) +
              " (FORMAT parquet, COMPRESSION uncompressed, ROW_GROUP_SIZE 2048)"},
             dir);
  const json pages = run_duckdb({"SELECT coalesce(dictionary_page_offset, data_page_offset) AS "
                                 "start FROM parquet_metadata(" +
                                 sql_quote(pq) + ") ORDER BY row_group_id"},
                                dir);
  ASSERT_GE(pages.size(), 2u);
  std::string bytes = read_text(pq);
  const auto at = std::stoll(pages[1]["start"].get<std::string>());
  for (int k = 0; k < 16; ++k) bytes[static_cast<size_t>(at + k)] = static_cast<char>(0xff);
  write_text(pq, bytes);
  s = run_preprocess(options(pq, dir / "pq"));
  EXPECT_EQ(s.problem_count(Problem::kParquetCorrupt), 1);
  EXPECT_EQ(s.problems.at(Problem::kParquetCorrupt).examples[0].rfind(pq + ": row group 1", 0), 0u);
  EXPECT_EQ(s.documents, 5000 - 2048);
}

TEST(Pipeline, StrictStopsAtAReaderProblemToo) {
  TestDir dir;
  write_text(dir / "c.csv", "text\nok\nbro\"ken\nfine\n");
  PreprocessOptions o = options(dir / "c.csv", dir / "c");
  o.strict = true;
  expect_error([&] { run_preprocess(o); },
               {"[preprocess] ", dir / "c.csv:3", "csv_quoting", "(--strict)"});
  EXPECT_EQ(stray_files(dir.str(), {"c.csv"}), std::vector<std::string>{});
}

TEST(Pipeline, FailedAndInterruptedRunsKeepEarlierOutputs) {
  TestDir dir;
  write_text(dir / "in.jsonl", "{\"text\": \"one\"}\n{\"text\": \"two\"}\n");
  PreprocessOptions o = options(dir / "in.jsonl", dir / "ds");
  const PreprocessStats first = run_preprocess(o);
  const std::vector<std::string> before = output_bytes(first);
  const std::vector<std::string> files = {"in.jsonl", "ds_text_document.bin",
                                          "ds_text_document.idx"};

  // A failing run (--strict on a bad line) does not touch them.
  write_text(dir / "in.jsonl", "{\"text\": \"three\"}\nnot json\n");
  o.strict = true;
  expect_error([&] { run_preprocess(o); }, {"invalid_json"});
  EXPECT_EQ(output_bytes(first), before);
  EXPECT_EQ(stray_files(dir.str(), files), std::vector<std::string>{});

  // Nor does an interrupted one.
  o.strict = false;
  std::atomic<bool> interrupt{true};
  expect_error([&] { run_preprocess(o, &interrupt); }, {"[preprocess] interrupted"});
  EXPECT_EQ(output_bytes(first), before);
  EXPECT_EQ(stray_files(dir.str(), files), std::vector<std::string>{});

  // A successful one replaces them.
  interrupt = false;
  const PreprocessStats second = run_preprocess(o, &interrupt);
  EXPECT_EQ(second.documents, 1);
  EXPECT_NE(output_bytes(second), before);
}

TEST(Pipeline, SeqLengthDropsOrTruncatesInstructionSamples) {
  TestDir dir;
  std::string lines;
  for (int n : {1, 40, 3, 200})
    lines += json{{"instruction", "Repeat."}, {"output", std::string(static_cast<size_t>(n), 'z')}}
                 .dump() +
             "\n";
  write_text(dir / "a.jsonl", lines);
  PreprocessOptions o = options(dir / "a.jsonl", dir / "full", "GeneralInstructionHandler");
  o.append_eod = true;
  run_preprocess(o);
  const auto full = read_triple(dir / "full_packed");
  ASSERT_EQ(full.size(), 4u);
  std::vector<size_t> len;
  for (const auto& doc : full) len.push_back(doc[0].input_ids.size());
  // A limit between the lengths of samples 2 and 1: samples 1 and 3 are too long.
  ASSERT_LT(len[2], len[1]);
  o.seq_length = static_cast<int64_t>(len[1]);  // "len >= seq_length" is too long
  // Default (keep, as AscendSpeed's script): written whole, the longer one counted.
  o.output_prefix = dir / "keep";
  PreprocessStats s = run_preprocess(o);
  EXPECT_EQ(s.kept_long, 1);  // sample 3; sample 1 has exactly seq_length tokens
  EXPECT_EQ(s.dropped_too_long, 0);
  const auto kept = read_triple(dir / "keep_packed");
  ASSERT_EQ(kept.size(), 4u);
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(kept[i][0].input_ids, full[i][0].input_ids);
  EXPECT_NE(format_summary(o, s).find("1 sequences longer than --seq-length"), std::string::npos);
  o.seq_length_policy = SeqLengthPolicy::kDrop;
  o.output_prefix = dir / "skip";
  s = run_preprocess(o);
  EXPECT_EQ(s.dropped_too_long, 2);
  EXPECT_EQ(s.documents, 2);
  const auto skipped = read_triple(dir / "skip_packed");
  ASSERT_EQ(skipped.size(), 2u);
  EXPECT_EQ(skipped[0][0].input_ids, full[0][0].input_ids);
  EXPECT_EQ(skipped[1][0].input_ids, full[2][0].input_ids);

  o.seq_length_policy = SeqLengthPolicy::kTruncate;
  o.output_prefix = dir / "cut";
  s = run_preprocess(o);
  EXPECT_EQ(s.truncated, 1);  // sample 1 has exactly seq_length tokens: kept whole
  const auto cut = read_triple(dir / "cut_packed");
  ASSERT_EQ(cut.size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    const size_t n = std::min(len[i], len[1]);
    EXPECT_EQ(cut[i][0].input_ids,
              std::vector<int32_t>(full[i][0].input_ids.begin(), full[i][0].input_ids.begin() + n));
    EXPECT_EQ(cut[i][0].labels,
              std::vector<int32_t>(full[i][0].labels.begin(), full[i][0].labels.begin() + n));
  }
}

}  // namespace
}  // namespace ascent::preprocess::testing
