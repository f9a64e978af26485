"""Shell completion for ``hpcapi``, made from its argument parser (``hpcapi completion SHELL``).

Nothing here lists a command or an option: both scripts are generated from the parser that
hpcapi.client.cli builds, so a new option completes as soon as it parses. Words that are not
commands, options or the choices of one (a script, a directory, a job id, an option's free
value) fall back to the shell's file name completion.
"""

from __future__ import annotations

import argparse

from hpcapi.client.cli import arguments_of, help_of, subcommands

BASH_FUNCTION = "_hpcapi"


def _takes_value(action: argparse.Action) -> bool:
    # store_true, help and version have nargs 0; everything else reads a value.
    return action.nargs != 0


def _words(values: object) -> str:
    return " ".join(str(value) for value in values)  # type: ignore[attr-defined]


def _bash_command_arm(name: str, parser: argparse.ArgumentParser) -> list[str]:
    options, positionals = arguments_of(parser)
    names = [option for action in options for option in action.option_strings]
    valued = [option for action in options if _takes_value(action)
              for option in action.option_strings]
    choices = next((action.choices for action in positionals if action.choices), ())
    lines = [
        f"        {name})",
        f'            options="{_words(names)}"',
        f'            valued=" {_words(valued)} "',
    ]
    if choices:
        lines.append(f'            positional="{_words(choices)}"')
    with_choices = [action for action in options if action.choices]
    if with_choices:
        lines.append('            case "$prev" in')
        lines += [f'                {"|".join(action.option_strings)}) '
                  f'value_choices="{_words(action.choices)}" ;;' for action in with_choices]
        lines.append("            esac")
    return [*lines, "            ;;"]


def bash_script(parser: argparse.ArgumentParser) -> str:
    """A bash completion script for the commands and options of ``parser``."""
    top_options, _ = arguments_of(parser)
    commands = subcommands(parser)
    names = [option for action in top_options for option in action.option_strings]
    valued = [option for action in top_options if _takes_value(action)
              for option in action.option_strings]
    arms = [line for name, (_, sub) in commands.items() for line in _bash_command_arm(name, sub)]
    return "\n".join([
        f"# bash completion for {parser.prog}, made from its argument parser by"
        f" '{parser.prog} completion bash'.",
        f'# Load it with: eval "$({parser.prog} completion bash)", e.g. in ~/.bashrc.',
        f"{BASH_FUNCTION}() {{",
        '    local cur="${COMP_WORDS[COMP_CWORD]}" prev="" command="" word i',
        '    (( COMP_CWORD > 0 )) && prev="${COMP_WORDS[COMP_CWORD-1]}"',
        f'    local commands="{_words(commands)}"',
        f'    local options="{_words(names)}"',
        f'    local valued=" {_words(valued)} "',
        '    local positional="" value_choices=""',
        "    # The command is the first word that is neither an option nor an option's value.",
        "    for (( i = 1; i < COMP_CWORD; i++ )); do",
        '        word="${COMP_WORDS[i]}"',
        '        if [[ $valued == *" $word "* ]]; then',
        "            (( i++ ))",
        "        elif [[ $word != -* ]]; then",
        '            command="$word"',
        "            break",
        "        fi",
        "    done",
        '    case "$command" in',
        *arms,
        "    esac",
        "    COMPREPLY=()",
        '    if [[ $valued == *" $prev "* ]]; then',
        "        # An option's value: its choices, else file names (complete -o default).",
        '        [[ -n $value_choices ]] && COMPREPLY=( $(compgen -W "$value_choices" -- "$cur") )',
        "    elif [[ $cur == -* ]]; then",
        '        COMPREPLY=( $(compgen -W "$options" -- "$cur") )',
        "    elif [[ -z $command ]]; then",
        '        COMPREPLY=( $(compgen -W "$commands" -- "$cur") )',
        "    elif [[ -n $positional ]]; then",
        '        COMPREPLY=( $(compgen -W "$positional" -- "$cur") )',
        "    fi",
        "    return 0",
        "}",
        f"complete -o default -F {BASH_FUNCTION} {parser.prog}",
        "",
    ])


def _zsh_quoted(text: str) -> str:
    """``text`` inside single quotes for zsh."""
    return "'" + text.replace("'", "'\\''") + "'"


def _zsh_escaped(text: str, syntax: str = "[]") -> str:
    """Text for an _arguments spec, its ``syntax`` characters escaped: brackets in an
    option's description, colons in a message."""
    for char in "\\" + syntax:
        text = text.replace(char, "\\" + char)
    return text


def _zsh_action(action: argparse.Action) -> str:
    if action.choices:
        return "(" + " ".join(str(choice) for choice in action.choices) + ")"
    if action.type in (int, float):
        return " "  # a number: nothing to offer
    return "_files"


def _zsh_specs(parser: argparse.ArgumentParser) -> list[str]:
    """The _arguments specs of one parser's options and positional arguments."""
    options, positionals = arguments_of(parser)
    specs = []
    for action in options:
        names = action.option_strings
        description = _zsh_escaped(help_of(action))
        exclusive = "(- *)" if action.nargs == 0 and action.dest in ("help", "version") else (
            "(" + " ".join(names) + ")" if len(names) > 1 else "")
        for name in names:
            if not _takes_value(action):
                specs.append(f"{exclusive}{name}[{description}]")
                continue
            metavar = _zsh_escaped(str(action.metavar or action.dest.upper()), ":")
            form = f"{name}=" if name.startswith("--") else f"{name}+"
            specs.append(f"{exclusive}{form}[{description}]:{metavar}:{_zsh_action(action)}")
    position = 0
    for action in positionals:
        metavar = _zsh_escaped(str(action.metavar or action.dest), ":")
        if action.nargs in ("+", "*"):
            specs.append(f"*:{metavar}:{_zsh_action(action)}")
            continue
        position += 1
        optional = ":" if action.nargs == "?" else ""
        specs.append(f"{position}:{optional}{metavar}:{_zsh_action(action)}")
    return specs


def _zsh_arguments(specs: list[str], indent: str, flags: str = "-s -S") -> list[str]:
    lines = [f"{indent}_arguments {flags} \\"]
    lines += [f"{indent}    {_zsh_quoted(spec)} \\" for spec in specs]
    return lines


def zsh_script(parser: argparse.ArgumentParser) -> str:
    """A zsh completion script for the commands and options of ``parser``."""
    prog = parser.prog
    commands = subcommands(parser)
    top = _zsh_arguments([*_zsh_specs(parser), "1: :->command", "*:: :->argument"], "    ",
                         flags="-C -s -S")
    described = [f"                {_zsh_quoted(f'{name}:{help_text}')}"
                 for name, (help_text, _) in commands.items()]
    arms: list[str] = []
    for name, (_, sub) in commands.items():
        arms.append(f"                {name})")
        arms += _zsh_arguments(_zsh_specs(sub), "                    ")
        arms += ["                        && ret=0", "                    ;;"]
    return "\n".join([
        f"#compdef {prog}",
        f"# zsh completion for {prog}, made from its argument parser by"
        f" '{prog} completion zsh'.",
        f"# Load it with: source <({prog} completion zsh), or save it as _{prog} in $fpath.",
        f"_{prog}() {{",
        '    local curcontext="$curcontext" state state_descr line ret=1',
        "    typeset -A opt_args",
        *top,
        "        && ret=0",
        "    case $state in",
        "        command)",
        "            local -a commands",
        "            commands=(",
        *described,
        "            )",
        f"            _describe -t commands '{prog} command' commands && ret=0",
        "            ;;",
        "        argument)",
        f'            curcontext="${{curcontext%:*:*}}:{prog}-$words[1]:"',
        "            case $words[1] in",
        *arms,
        "            esac",
        "            ;;",
        "    esac",
        "    return ret",
        "}",
        "if [[ $zsh_eval_context[-1] == loadautofunc ]]; then",
        f'    _{prog} "$@"',
        "else",
        f"    compdef _{prog} {prog}",
        "fi",
        "",
    ])


def completion_script(shell: str, parser: argparse.ArgumentParser) -> str:
    """The completion script for ``shell`` (bash or zsh)."""
    if shell == "bash":
        return bash_script(parser)
    if shell == "zsh":
        return zsh_script(parser)
    raise ValueError(f"no completion for {shell!r}: bash or zsh")
