#pragma once
// Megatron-LM / AscendSpeed / DeepSpeed flags that `ascent train` accepts only so their launch
// scripts paste unchanged, or names when it refuses them. Flags with a meaning here live in the
// flag table of the config that owns them (TrainArgs::flags()); this table holds the rest, one row
// per flag with the reason, so --help, the note printed at start-up and docs/FLAGS.md all say the
// same thing.
#include <string>
#include <string_view>
#include <vector>

namespace ascent {

enum class CompatStatus {
  NoEffect,     // accepted; one note says why nothing changes (a kernel, fusion or backend choice)
  Ignored,      // accepted; one warning: Megatron would change the run, ascent does not
  Unsupported,  // refused with the reason and what to do instead
};

enum class CompatArity { Switch, OneValue, Values };

struct CompatFlag {
  std::string name;  // "--use-flash-attn"
  CompatArity arity;
  CompatStatus status;
  std::string why;  // the end of "--use-flash-attn: no effect here: <why>"
};

// Every row, in the order of docs/FLAGS.md.
const std::vector<CompatFlag>& compat_flags();
// The row named `name` ("--DDP-impl"), or null.
const CompatFlag* find_compat_flag(std::string_view name);

// "no effect here: <why>", "ignored: <why>" or "not supported: <why>" (its --help text).
std::string compat_summary(const CompatFlag& flag);
// The one line printed when an accepted flag is given: "--use-flash-attn: no effect here: <why>".
std::string compat_note(const CompatFlag& flag);
// Prints each row's note once, through the logger: NoEffect as information, Ignored as a warning.
void log_compat_notes(const std::vector<const CompatFlag*>& given);
// Why `name`, which `ascent train` does not accept, is refused: the Unsupported row's reason, or a
// feature that is not there yet (--lora-*); "" for a name ascent knows nothing about. The text is a
// whole sentence naming the flag: "[train] --lora-r: LoRA fine-tuning is not supported yet ...".
std::string refusal_reason(std::string_view name);

}  // namespace ascent
