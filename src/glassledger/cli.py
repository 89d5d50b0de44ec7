"""The ``glassledger`` command.

Each concept contributes its own Typer sub-application, registered here; this module only
assembles them so that importing one concept never imports the others.

It is also the one error boundary of every command (:class:`Boundary`). Exit codes, the same
for every command (``docs/inputs.md``):

* ``0`` - done;
* ``1`` - refused: bad input file, bad option value, bad command line. One line on stderr
  says which file, line, row and field, what was wrong and what to do
  (any :class:`~glassledger.errors.GlassledgerError`, or a usage error);
* ``70`` - an internal error, that is a bug in glassledger (EX_SOFTWARE of sysexits.h): the
  message says so and where to report it; ``--debug`` shows the traceback.

When the reader of standard output goes away (``| head``) output stops quietly with exit code 1
(Click's convention).
"""

from __future__ import annotations

import functools
import math
import traceback
from pathlib import Path
from typing import Annotated, Any

import typer
from typer._click import exceptions as clicks  # typer 0.29 vendors click
from typer.core import TyperGroup

from glassledger.api import cli as api_cli
from glassledger.basket import cli as basket_cli
from glassledger.basket import coin_cli
from glassledger.errors import GlassledgerError
from glassledger.funding import cli as funding_cli
from glassledger.liquidity import cli as liquidity_cli
from glassledger.node import cli as node_cli
from glassledger.node import governance_cli, keys_cli
from glassledger.node.indexer import cli as index_cli
from glassledger.options import new_dir
from glassledger.pricing import cli as pricing_cli
from glassledger.reporting import cli as repository_cli
from glassledger.risk import cli as risk_cli
from glassledger.sim import cli as scenario_cli

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_BUG = 70
REPORT_TO = (
    "the glassledger issue tracker (quote the command line, this message and, if you can, "
    "the input files)"
)


def _finite_floats(command: Any) -> None:
    """Wrap every command's callback so that a ``nan`` or ``inf`` option value is refused
    (Typer parses floats with ``float()``, which accepts them)."""
    for sub in getattr(command, "commands", {}).values():
        _finite_floats(sub)
    callback = command.callback
    if callback is None or getattr(callback, "_finite", False):
        return

    @functools.wraps(callback)
    def checked(*args: Any, **kwargs: Any) -> Any:
        for name, value in kwargs.items():
            values = value if isinstance(value, list | tuple) else [value]
            for item in values:
                if isinstance(item, float) and not math.isfinite(item):
                    raise typer.BadParameter(
                        f"{item!r} is not a finite number",
                        param_hint=f"--{name.replace('_', '-')}",
                    )
        return callback(*args, **kwargs)

    checked._finite = True  # type: ignore[attr-defined]
    command.callback = checked


def _say(message: str) -> None:
    typer.echo(message, err=True)


def _refuse_usage(error: clicks.UsageError) -> None:
    """A bad command line or option value (including every option kind of
    :mod:`glassledger.options`): one line naming the command and the option, exit 1. A
    command group called without a command shows its help instead (also exit 1)."""
    if isinstance(error, clicks.NoArgsIsHelpError):
        error.exit_code = EXIT_REFUSED
        raise error
    where = error.ctx.command_path if error.ctx is not None else "glassledger"
    text = " ".join(error.format_message().split())
    _say(f"error: {where}: {text} (see `{where} --help`)")
    raise typer.Exit(EXIT_REFUSED)


class Boundary(TyperGroup):
    """The top-level group: every command runs inside :meth:`invoke`, which turns a
    ``GlassledgerError`` into one line and exit code 1, a usage error into exit code 1, and
    anything else into a bug report (exit code 70; the traceback with ``--debug``)."""

    def make_context(self, *args: Any, **kwargs: Any) -> typer.Context:
        _finite_floats(self)
        try:
            return super().make_context(*args, **kwargs)
        except clicks.UsageError as error:
            _refuse_usage(error)

    def invoke(self, ctx: typer.Context) -> Any:
        try:
            return super().invoke(ctx)
        except GlassledgerError as error:
            _say(f"error: {' '.join(str(error).split())}")
            ctx.exit(EXIT_REFUSED)
        except clicks.UsageError as error:
            _refuse_usage(error)
        except (
            typer.Exit,
            typer.Abort,
            clicks.ClickException,
            KeyboardInterrupt,
        ):
            raise
        except BrokenPipeError:
            # The reader went away (`glassledger ... | head`): Click's main loop stops
            # quietly with exit code 1, as it already does when `--help` meets a closed pipe.
            raise
        except OSError as error:
            if error.filename is None:  # not about a path the user gave: a bug of ours
                self._bug(ctx, error)
            # A path the user gave that cannot be read or written (missing folder, a
            # directory where a file is expected, no permission): refused, not a bug.
            reason = error.strerror or type(error).__name__
            _say(f"error: {error.filename}: {reason.lower()}. check the path")
            ctx.exit(EXIT_REFUSED)
        except Exception as error:
            self._bug(ctx, error)

    @staticmethod
    def _bug(ctx: typer.Context, error: BaseException) -> None:
        """An unexpected exception: say it is a bug (exit 70), the traceback with --debug."""
        text = " ".join(str(error).split()) or "(no message)"
        _say(
            f"internal error: {type(error).__name__}: {text}\n"
            f"This is a bug in glassledger, not a problem with your input. Please report it "
            f"to {REPORT_TO}."
        )
        if ctx.params.get("debug"):
            _say(traceback.format_exc().rstrip())
        else:
            _say("Run the same command with `glassledger --debug ...` to see the traceback.")
        ctx.exit(EXIT_BUG)


app = typer.Typer(
    cls=Boundary,
    rich_markup_mode="markdown",
    name="glassledger",
    help="Transparent, programmable market infrastructure for dollar liquidity, collateral "
    "and OTC derivatives.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


node_cli.register(app)
app.add_typer(risk_cli.app, name="risk")
app.add_typer(basket_cli.app, name="basket")
app.add_typer(coin_cli.app, name="coin")
app.add_typer(liquidity_cli.app, name="liquidity")
app.add_typer(funding_cli.app, name="funding")
app.add_typer(governance_cli.app, name="governance")
app.command("serve")(api_cli.serve)
app.command("query")(api_cli.query)
app.command("index")(index_cli.index)
app.add_typer(keys_cli.app, name="keys")
app.add_typer(scenario_cli.app, name="scenario")
app.add_typer(pricing_cli.app, name="agent")
app.add_typer(repository_cli.app, name="repository")
app.command("report")(scenario_cli.report)


@app.command()
def demo(
    home: Annotated[
        Path | None,
        typer.Option(
            parser=new_dir, help="Directory for the demo's node home (default: temporary)."
        ),
    ] = None,
    transfers: Annotated[int, typer.Option(help="Number of token transfers.")] = 2_000,
    serve: Annotated[
        bool, typer.Option("--serve", help="Then serve the API and dashboard until Ctrl-C.")
    ] = False,
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port for --serve.")] = 8000,
    stress: Annotated[
        str,
        typer.Option(help="The stress event: a dealer_default scenario file or shipped name."),
    ] = "dealer_default",
) -> None:
    """Run the guided demo: a 4-authority network, an election, transfers, the basket coin,
    a market day, a dealer-default stress, risk, verify; a summary, the HTML report, and
    with --serve the dashboard."""
    from glassledger import demo as guided
    from glassledger.api.cli import can_listen

    if serve:  # refuse a busy --port now, not after the demo's minute
        can_listen("127.0.0.1", port)
    summary = guided.run_demo(home, transfers, stress=stress)
    if serve:
        guided.serve(Path(summary["home"]), port=port)


@app.command()
def version() -> None:
    """Print the installed glassledger version."""
    from glassledger import __version__

    typer.echo(__version__)


@app.callback()
def main(
    debug: Annotated[
        bool,
        typer.Option("--debug", help="On an internal error, show the Python traceback."),
    ] = False,
) -> None:
    """glassledger: run `glassledger demo` for a tour.

    Exit codes: 0 done; 1 refused (bad input file, option or command line: the message names
    the file, line, field and what to do); 70 internal error (a bug: please report it).
    """
