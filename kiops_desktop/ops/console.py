"""The command console's rules, as pure functions (no Qt, no I/O): what the operator typed ->
the argument list that will run, or a sentence saying why it will not.

What the rules are, and why:

- **No shell, ever.** The text is split with :mod:`shlex` into an argument list and handed to
  the program directly. Shell syntax outside single quotes — pipes, redirections, ``;``, ``&&``,
  ``||``, ``&``, backticks and ``$(`` — is refused with a sentence instead of being passed on as
  literal arguments, because an operator who types ``| grep`` expects a shell and would otherwise
  get a confusing error from kubectl (or, worse, a command that half-ran).
- **One program per console.** The Kubernetes console runs ``kubectl``, a Docker service's runs
  ``docker``, a Podman service's runs ``podman``. Anything else (``bash``, ``rm``, a path to some
  binary) is refused. A Docker command in a Kubernetes console is refused too: the console is
  pinned to one connection, and the production guard and the refresh after a change are about
  that connection.
- **Pinned unless told otherwise.** kubectl gets ``--context C -n NS`` in front of the typed
  arguments unless the command names its own context (``--context``) or namespace (``-n``,
  ``--namespace``, ``-A``, ``--all-namespaces``); docker gets ``--context C`` (or ``-H URL``
  when the connection is only known by its URL) unless ``--context``/``-c``/``-H``/``--host``
  is given; podman gets ``--connection C`` (or ``--url URL``) unless ``--connection``/``-c``/
  ``--url`` is given. The pins go right after the program name, where both CLIs read global
  flags, so they can never land after a ``--`` and be handed to a container.
- **Mutating commands ask first** (see :func:`mutation_reason`). The list errs on the side of
  asking: a command KIOPS does not know (a kubectl plugin, a new docker verb) asks, because an
  unnecessary question costs a click and a missing one can cost an outage. ``--dry-run`` (other
  than ``=none``) and ``--help`` never change anything and never ask. ``exec`` and ``cp`` ask:
  they run or write inside a live container. ``edit`` asks (it opens ``$EDITOR``; a GUI editor
  works, a terminal editor gets no terminal and kubectl cancels the edit).
- **Secrets stay out of the echo and the audit log** (:func:`redact`): values of ``--token``,
  ``--password``, ``--creds``, ``--from-literal``, ``login -p``, URL passwords and
  ``KEY=VALUE`` pairs whose key looks secret are replaced by ``REDACTED``.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

PROGRAMS: dict[str, str] = {"kubernetes": "kubectl", "docker": "docker", "podman": "podman"}
ALLOWED_PROGRAMS = frozenset(PROGRAMS.values())
RUNTIME_TITLES = {"kubernetes": "Kubernetes", "docker": "Docker", "podman": "Podman"}
MASK = "REDACTED"


class CommandRefused(ValueError):
    """The command will not run; ``sentence`` says why, in words for the operator."""

    def __init__(self, sentence: str) -> None:
        super().__init__(sentence)
        self.sentence = sentence


@dataclass(frozen=True)
class ConsoleTarget:
    """Where a console is pinned: the service's runtime and connection.

    ``context`` is the kubeconfig context, the Docker context or the Podman connection name;
    ``engine_url`` is set when an engine is reached by URL only (``DOCKER_HOST``, a local
    Podman socket) rather than by a name its CLI knows.
    """

    runtime: str  # "kubernetes", "docker", "podman"
    context: str
    namespace: str = ""
    engine_url: str | None = None

    @property
    def program(self) -> str:
        return PROGRAMS[self.runtime]

    def pin_flags(self) -> tuple[str, ...]:
        """The flags that pin a command to this target (before any the operator typed)."""
        if self.runtime == "kubernetes":
            return kubectl_pin(self.context, self.namespace, context_named=False, ns_named=False)
        if self.runtime == "docker":
            return ("-H", self.engine_url) if self.engine_url else ("--context", self.context)
        return ("--url", self.engine_url) if self.engine_url else ("--connection", self.context)


@dataclass(frozen=True)
class Command:
    """A command that may run: the program's name, the arguments after pinning, and whether it
    changes anything (then ``reason`` says what, for the confirmation question)."""

    program: str  # "kubectl", "docker" or "podman" (the binary is chosen by the caller)
    args: tuple[str, ...]  # what runs: pins first, then what was typed
    typed: tuple[str, ...]  # what the operator typed after the program name
    pinned: tuple[str, ...]  # the flags KIOPS added
    mutating: bool
    reason: str  # why it asks first ("" when it does not)
    context: str  # the context / connection it acts on (named in the command, or the pin)
    namespace: str  # the namespace it acts on ("" when not namespaced or all namespaces)

    @property
    def argv(self) -> tuple[str, ...]:
        return (self.program, *self.args)

    @property
    def display(self) -> str:
        """The command as it runs, quoted like a shell would need it, secrets masked."""
        return shlex.join(redact(self.argv))

    @property
    def typed_display(self) -> str:
        return shlex.join(redact((self.program, *self.typed)))


# --------------------------------------------------------------------------- shell syntax

_ONE_COMMAND = (
    "Only one command at a time: {what} needs a shell, and the console runs a single {prog} "
    "command without one."
)
_ADVICE = {
    "kubectl": "use kubectl's own filters instead (-l, --field-selector, -o jsonpath=…)",
    "docker": "use docker's own filters instead (--filter, --format)",
    "podman": "use podman's own filters instead (--filter, --format)",
}


def _shell_refusal(construct: str, program: str) -> str:
    prog = program if program in ALLOWED_PROGRAMS else "kubectl, docker or podman"
    if construct == "|":
        return (
            f"Pipes (|) are not supported: the console runs one {prog} command without a "
            f"shell; {_ADVICE.get(program, 'use the command own filters instead')}."
        )
    if construct in ("<", ">"):
        return (
            "Redirections (>, <) are not supported: the console runs without a shell and its "
            "output stays in this pane (select it to copy; -o chooses the format)."
        )
    if construct in (";", "&&", "||"):
        return _ONE_COMMAND.format(what=f"“{construct}”", prog=prog)
    if construct == "newline":
        return _ONE_COMMAND.format(what="a second line", prog=prog)
    if construct == "&":
        return (
            "Running in the background (&) is not supported: the console runs one command at a "
            "time without a shell; a long command can be ended with Stop."
        )
    return (
        "Command substitution ($( ) and backticks) is not supported: the console runs without "
        "a shell, so nothing would expand it — type the value itself."
    )


def shell_construct(text: str) -> str | None:
    """The first shell construct in ``text`` that a shell would act on, or None.

    Single quotes make everything literal (a shell would too), so ``-l 'a in (x|y)'`` and
    ``-o jsonpath='{$.x}'`` pass. Inside double quotes a shell still expands backticks and
    ``$(``, so those are refused there as well: we would pass them literally, which is not what
    the operator meant.
    """
    quote = ""
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if quote == "'":
            if c == "'":
                quote = ""
        elif quote == '"':
            if c == "\\":
                i += 2
                continue
            if c == '"':
                quote = ""
            elif c == "`" or text.startswith("$(", i):
                return "$("
        else:
            if c == "\\":
                i += 2
                continue
            if c in "'\"":
                quote = c
            elif text.startswith(("&&", "||"), i):
                return text[i : i + 2]
            elif c in "|;&<>":
                return c
            elif c == "`" or text.startswith("$(", i):
                return "$("
            elif c in "\r\n":
                return "newline"
        i += 1
    return None


# --------------------------------------------------------------------------- flag scanning


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# kubectl flags that take a value as the next argument (global ones and the common subcommand
# ones). Only used to find the verb and subverb among the positional arguments, so a missing
# rare flag costs at most a question too many, never a pin in the wrong place.
_KUBECTL_VALUE_FLAGS = _words(
    """
    --context --namespace --kubeconfig --cluster --user --server --token --as --as-group --as-uid
    --certificate-authority --client-certificate --client-key --cache-dir --request-timeout
    --tls-server-name --profile --profile-output --log-file --log-dir --v --vmodule --password
    --username --kuberc --log-flush-frequency --log-file-max-size --stderrthreshold
    --output --selector --filename --container --field-selector --sort-by --timeout --since
    --since-time --tail --revision --to-revision --replicas --image --type --patch --template
    --label-columns --chunk-size --grace-period --min --max --cpu-percent --current-replicas
    --resource-version --subresource --for --field-manager --kustomize --port --name
    --from-literal --from-file --from-env-file --cascade --output-watch-events --raw --limit-bytes
    --pod-running-timeout --max-log-requests --prefix --env --overrides --restart --target
    --profile --copy-to --path --resource
    """
)
# Shorthands that take a value; the others (-A, -w, -h, -R, -i, -t, -q, ...) are bools that may
# be grouped ("-Aw", "-it").
_KUBECTL_SHORT_VALUE = frozenset("nsvoflcpLke")

_DOCKER_GLOBAL_VALUE = _words(
    "--config -c --context -H --host -l --log-level --tlscacert --tlscert --tlskey"
)
_PODMAN_GLOBAL_VALUE = _words(
    """
    --cgroup-manager --conmon --connection -c --events-backend --hooks-dir --identity
    --imagestore --log-level --module --network-cmd-path --network-config-dir --out --root
    --runroot --runtime --runtime-flag --ssh --storage-driver --storage-opt --tmpdir --url
    --volumepath --cdi-spec-dir --db-backend --config
    """
)
_COMPOSE_VALUE = _words(
    "-f --file -p --project-name --profile --env-file --project-directory --ansi --progress "
    "--parallel"
)


def _flag_name(token: str) -> str:
    return token.split("=", 1)[0] if token.startswith("--") else token[:2]


def _flag_value(tokens: Sequence[str], i: int) -> tuple[str | None, int]:
    """The value of the flag at ``tokens[i]`` (``--f=v``, ``--f v``, ``-fv``, ``-f=v``, ``-f v``)
    and the index after it."""
    token = tokens[i]
    if token.startswith("--"):
        if "=" in token:
            return token.split("=", 1)[1], i + 1
    elif len(token) > 2:
        rest = token[2:]
        return (rest[1:] if rest.startswith("=") else rest), i + 1
    if i + 1 < len(tokens):
        return tokens[i + 1], i + 2
    return None, i + 1


@dataclass(frozen=True)
class _KubectlScan:
    positionals: tuple[str, ...]
    context: str | None  # named with --context
    namespace: str | None  # named with -n/--namespace
    all_namespaces: bool
    dry_run: bool
    help: bool
    to_revision: str | None


def _scan_kubectl(args: Sequence[str]) -> _KubectlScan:
    positionals: list[str] = []
    context = namespace = to_revision = None
    all_ns = dry_run = wants_help = False
    i = 0
    while i < len(args):
        token = args[i]
        if token == "--":
            break  # what follows goes to the container (exec, run, debug): not ours to read
        if token.startswith("--"):
            name = _flag_name(token)
            if name in ("--all-namespaces",):
                all_ns = token.split("=", 1)[1].lower() != "false" if "=" in token else True
                i += 1
            elif name == "--dry-run":
                # pflag's optional value: only the "=" form carries one ("--dry-run server"
                # is a bare --dry-run plus an argument).
                dry_run = token.split("=", 1)[1] != "none" if "=" in token else True
                i += 1
            elif name == "--help":
                wants_help = True
                i += 1
            elif name in _KUBECTL_VALUE_FLAGS:
                value, i = _flag_value(args, i)
                if name == "--context":
                    context = value
                elif name == "--namespace":
                    namespace = value
                elif name == "--to-revision":
                    to_revision = value
            else:
                i += 1
        elif token.startswith("-") and len(token) > 1:
            # A cluster of shorthands: bools may be grouped ("-Aw"); the first that takes a
            # value takes the rest of the token, or the next argument.
            j = 1
            consumed_next = False
            while j < len(token):
                ch = token[j]
                if ch == "A":
                    all_ns = True
                elif ch == "h":
                    wants_help = True
                elif ch in _KUBECTL_SHORT_VALUE:
                    rest = token[j + 1 :]
                    if rest.startswith("="):
                        rest = rest[1:]
                    if not rest and i + 1 < len(args):
                        rest = args[i + 1]
                        consumed_next = True
                    if ch == "n":
                        namespace = rest
                    break
                j += 1
            i += 2 if consumed_next else 1
        else:
            positionals.append(token)
            i += 1
    return _KubectlScan(
        tuple(positionals), context, namespace, all_ns, dry_run, wants_help, to_revision
    )


@dataclass(frozen=True)
class _EngineScan:
    connection_named: bool
    words: tuple[str, ...]  # subcommand, subverb... (positionals, flags skipped)
    help: bool
    dry_run: bool


def _scan_engine(program: str, args: Sequence[str]) -> _EngineScan:
    global_values = _DOCKER_GLOBAL_VALUE if program == "docker" else _PODMAN_GLOBAL_VALUE
    pin_names = (
        {"-c", "--context", "-H", "--host"}
        if program == "docker"
        else {"-c", "--connection", "--url"}
    )
    i = 0
    named = False
    wants_help = False
    while i < len(args) and args[i].startswith("-") and args[i] != "-":
        token = args[i]
        if token == "--":
            i += 1
            break
        name = _flag_name(token)
        if name in pin_names:
            named = True
        if name == "--help":
            wants_help = True
        if name in global_values:
            _, i = _flag_value(args, i)
        else:
            i += 1
    rest = tuple(args[i:])
    words: list[str] = []
    dry_run = False
    j = 0
    management = rest[0] if rest else ""
    while j < len(rest):
        token = rest[j]
        if token == "--":
            break
        if token.startswith("-") and token != "-":
            name = _flag_name(token)
            if name == "--help":
                wants_help = True
            elif name == "--dry-run":
                dry_run = True
            # compose's own value flags sit between "compose" and its verb ("-f x.yml up")
            if management == "compose" and name in _COMPOSE_VALUE and len(words) == 1:
                _, j = _flag_value(rest, j)
                continue
            j += 1
            continue
        words.append(token)
        j += 1
        if len(words) >= 3:
            break
    return _EngineScan(named, tuple(words), wants_help, dry_run)


# --------------------------------------------------------------------------- mutation


_KUBECTL_READS = _words(
    """
    get describe logs top events explain api-resources api-versions cluster-info version
    diff kustomize wait completion plugin options help proxy port-forward attach
    """
)
_KUBECTL_CHANGES = {
    "apply": "applies manifests to the cluster",
    "create": "creates objects in the cluster",
    "replace": "replaces objects in the cluster",
    "edit": "edits a live object in the cluster",
    "delete": "deletes objects from the cluster",
    "patch": "patches a live object",
    "scale": "changes the number of replicas",
    "autoscale": "creates or changes an autoscaler",
    "annotate": "changes annotations",
    "label": "changes labels (and so what selectors match)",
    "set": "changes a live workload's template",
    "drain": "evicts the pods of a node",
    "cordon": "stops scheduling on a node",
    "uncordon": "resumes scheduling on a node",
    "taint": "changes a node's taints",
    "expose": "creates a Service",
    "run": "starts a pod",
    "debug": "adds a debug container or copies a pod",
    "exec": "runs a command inside a live container, which can change it",
    "cp": "copies files into or out of a live container",
}
_ROLLOUT_CHANGES = {
    "undo": "rolls the deployment back to another revision",
    "restart": "restarts every pod of the workload",
    "pause": "pauses the rollout",
    "resume": "resumes the rollout",
}
_ROLLOUT_READS = frozenset({"history", "status"})
_CONFIG_READS = frozenset({"view", "get-contexts", "get-clusters", "get-users", "current-context"})
_AUTH_READS = frozenset({"can-i", "whoami"})

_ENGINE_TOP_READS = _words(
    """
    ps images inspect logs history top stats port diff events info version search help wait
    export save completion
    """
)
_ENGINE_MANAGEMENT = _words(
    """
    container image volume network system compose builder buildx context plugin swarm node
    service stack secret config trust manifest checkpoint pod machine kube healthcheck farm
    artifact quadlet
    """
)
_ENGINE_SUB_READS = _words(
    """
    ls list ps inspect logs history top stats port diff events df info version exists show
    config convert images search tree wait export save du
    """
)
_ENGINE_NESTED = frozenset({"connection", "key", "signer"})  # podman system connection ls, ...
_ENGINE_READ_PAIRS = frozenset({("healthcheck", "run"), ("kube", "generate")})
_ENGINE_READ_MANAGEMENT = frozenset({"generate"})  # podman generate systemd/kube/spec: prints
_ENGINE_TOP_CHANGES = {
    "run": "starts a new container",
    "create": "creates a container",
    "rm": "removes containers",
    "rmi": "removes images",
    "stop": "stops containers",
    "start": "starts containers",
    "restart": "restarts containers",
    "kill": "kills containers",
    "pause": "pauses containers",
    "unpause": "unpauses containers",
    "rename": "renames a container",
    "update": "changes a container's resources or restart policy",
    "commit": "creates an image from a container",
    "tag": "moves an image tag",
    "push": "pushes an image to a registry",
    "pull": "pulls an image (and can move a local tag)",
    "load": "loads images",
    "import": "imports an image",
    "build": "builds an image (and can move a local tag)",
    "exec": "runs a command inside a live container, which can change it",
    "cp": "copies files into or out of a live container",
    "login": "changes the stored registry credentials",
    "logout": "changes the stored registry credentials",
    "mount": "mounts a container's file system",
    "umount": "unmounts a container's file system",
    "unmount": "unmounts a container's file system",
    "auto-update": "updates containers to newer images",
}

_ENGINE_MANAGEMENT_CHANGES = {
    "image": "changes local images",
    "volume": "changes volumes (and the data in them)",
    "network": "changes networks",
    "compose": "changes the project's containers",
    "pod": "changes pods",
    "system": "changes the engine (prune and reset remove data)",
    "secret": "changes secrets",
    "builder": "changes the build cache",
    "buildx": "changes images or builders",
}


def _kubectl_reason(scan: _KubectlScan) -> str | None:
    if scan.help or not scan.positionals:
        return None
    verb = scan.positionals[0]
    sub = scan.positionals[1] if len(scan.positionals) > 1 else ""
    if verb in ("help", "completion", "version", "options"):
        return None
    if scan.dry_run:
        return None  # --dry-run=client|server shows what would change and changes nothing
    if verb in _KUBECTL_READS:
        return None
    if verb in _KUBECTL_CHANGES:
        return f"kubectl {verb} {_KUBECTL_CHANGES[verb]}."
    if verb == "rollout":
        if sub in _ROLLOUT_READS or not sub:
            return None
        what = _ROLLOUT_CHANGES.get(sub, "may change the workload")
        return f"kubectl rollout {sub} {what}."
    if verb == "config":
        if sub in _CONFIG_READS or not sub:
            return None
        return f"kubectl config {sub} changes your kubeconfig."
    if verb == "auth":
        if sub in _AUTH_READS or not sub:
            return None
        return f"kubectl auth {sub} changes RBAC objects in the cluster."
    if verb == "certificate":
        return f"kubectl certificate {sub or '…'} decides a certificate signing request."
    return f"KIOPS does not know what “kubectl {verb}” does, so it asks before running it."


def _engine_reason(program: str, scan: _EngineScan) -> str | None:
    if scan.help or not scan.words or scan.dry_run:
        return None
    first = scan.words[0]
    if first in _ENGINE_TOP_READS:
        return None
    if first in _ENGINE_TOP_CHANGES:
        return f"{program} {first} {_ENGINE_TOP_CHANGES[first]}."
    if first in _ENGINE_MANAGEMENT or first in _ENGINE_READ_MANAGEMENT:
        if first in _ENGINE_READ_MANAGEMENT or len(scan.words) == 1:
            return None  # "docker image" alone prints help
        sub = scan.words[1]
        words = [first, sub]
        if sub in _ENGINE_NESTED and len(scan.words) > 2:
            sub = scan.words[2]
            words.append(sub)
        if sub in _ENGINE_SUB_READS or (first, sub) in _ENGINE_READ_PAIRS:
            return None
        what = _ENGINE_MANAGEMENT_CHANGES.get(
            first, "changes containers, images, volumes or networks"
        )
        if first == "container":
            what = _ENGINE_TOP_CHANGES.get(sub, what)
        elif first == "context" or (first == "system" and "connection" in words):
            what = f"changes your {program} connections"
        return f"{program} {' '.join(words)} {what}."
    return f"KIOPS does not know what “{program} {first}” does, so it asks before running it."


def mutation_reason(program: str, args: Sequence[str]) -> str | None:
    """Why ``program args`` changes something (a sentence for the question), or None for a
    command that only reads."""
    if program == "kubectl":
        return _kubectl_reason(_scan_kubectl(args))
    return _engine_reason(program, _scan_engine(program, args))


def is_mutating(program: str, args: Sequence[str]) -> bool:
    return mutation_reason(program, args) is not None


# --------------------------------------------------------------------------- pinning


def kubectl_pin(
    context: str, namespace: str, *, context_named: bool, ns_named: bool
) -> tuple[str, ...]:
    pin: list[str] = []
    if not context_named and context:
        pin += ["--context", context]
    if not ns_named and namespace:
        pin += ["-n", namespace]
    return tuple(pin)


def _program_of(token: str) -> str:
    name = token.lower()
    return name[:-4] if name.endswith(".exe") else name


def prepare(text: str, target: ConsoleTarget) -> Command:
    """The command to run for ``text`` in a console pinned to ``target``.

    Raises :class:`CommandRefused` with a sentence for the operator when it will not run.
    """
    stripped = text.strip()
    if not stripped:
        raise CommandRefused(
            f"Type a {target.program} command, e.g. "
            + (
                "“kubectl rollout history deployment/NAME”."
                if target.runtime == "kubernetes"
                else f"“{target.program} ps -a”."
            )
        )
    first_word = stripped.split(None, 1)[0].strip("'\"")
    construct = shell_construct(stripped)
    if construct is not None:
        raise CommandRefused(_shell_refusal(construct, _program_of(first_word)))
    try:
        argv = shlex.split(stripped)
    except ValueError:
        raise CommandRefused(
            "The quotes do not match: close every ' and \" you opened (the console splits the "
            "command like a shell would, but does not run one)."
        ) from None
    if not argv:
        raise CommandRefused(f"Type a {target.program} command.")
    word = argv[0]
    # The raw first word too: shlex has already eaten the backslashes of "C:\tools\kubectl".
    if any(sep in w for w in (word, first_word) for sep in "/\\"):
        raise CommandRefused(
            f"Type the program name without a path (“{target.program} …”): the console runs "
            + (
                "the kubectl chosen in Settings (the bundled one unless you chose another)."
                if target.runtime == "kubernetes"
                else f"the {target.program} found on PATH."
            )
        )
    program = _program_of(word)
    if program not in ALLOWED_PROGRAMS:
        raise CommandRefused(
            f"“{word}” is not allowed here: the console runs {target.program} commands only "
            "(as an argument list, never through a shell)."
        )
    if program != target.program:
        where = RUNTIME_TITLES.get(target.runtime, target.runtime)
        kind = "context" if target.runtime in ("kubernetes", "docker") else "connection"
        raise CommandRefused(
            f"This console is pinned to the {where} {kind} “{target.context}”: it runs "
            f"{target.program} commands; run {program} from a "
            f"{'Kubernetes' if program == 'kubectl' else program.capitalize()} service's console."
        )
    typed = tuple(argv[1:])
    if program == "kubectl":
        scan = _scan_kubectl(typed)
        if (
            len(scan.positionals) >= 2
            and scan.positionals[:2] == ("rollout", "undo")
            and scan.to_revision is not None
            and not scan.to_revision.isdigit()
        ):
            raise CommandRefused(
                f"Replace “{scan.to_revision}” in --to-revision with the revision to roll back "
                "to (a number; “kubectl rollout history” lists them)."
            )
        pinned = kubectl_pin(
            target.context,
            target.namespace,
            context_named=scan.context is not None,
            ns_named=scan.namespace is not None or scan.all_namespaces,
        )
        context = scan.context or target.context
        if scan.all_namespaces:
            namespace = ""
        else:
            namespace = scan.namespace if scan.namespace is not None else target.namespace
        reason = _kubectl_reason(scan)
    else:
        engine_scan = _scan_engine(program, typed)
        pinned = () if engine_scan.connection_named else target.pin_flags()
        context = target.context if not engine_scan.connection_named else ""
        namespace = ""
        reason = _engine_reason(program, engine_scan)
    return Command(
        program=program,
        args=(*pinned, *typed),
        typed=typed,
        pinned=pinned,
        mutating=reason is not None,
        reason=reason or "",
        context=context,
        namespace=namespace,
    )


# --------------------------------------------------------------------------- redaction

_SECRET_FLAGS = frozenset({"--token", "--password", "--creds", "--registry-token"})
_SECRET_KEY = re.compile(r"(?i)pass|pwd|token|secret|credential|auth|api[_-]?key|private")
_KEY_VALUE = re.compile(r"^([A-Za-z_][A-Za-z0-9_.-]*)=(.*)$", re.DOTALL)
_URL_PASSWORD = re.compile(r"(\b[a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@]+:)[^@/\s]+@")


def _mask_value(value: str) -> str:
    """``KEY=VALUE`` with a secret-looking key -> ``KEY=REDACTED``; URL passwords masked."""
    value = _URL_PASSWORD.sub(rf"\1{MASK}@", value)
    match = _KEY_VALUE.match(value)
    if match and _SECRET_KEY.search(match.group(1)):
        return f"{match.group(1)}={MASK}"
    return value


def redact(argv: Iterable[str]) -> tuple[str, ...]:
    """``argv`` with secrets replaced by ``REDACTED`` (for the echo line and the audit log)."""
    tokens = list(argv)
    # "-p" is a password only for docker/podman login ("docker run -p 80:80" is a port).
    is_login = bool(tokens) and tokens[0] in ("docker", "podman") and "login" in tokens[1:]
    out: list[str] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        name = _flag_name(token) if token.startswith("-") else ""
        secret_flag = name in _SECRET_FLAGS or (is_login and name == "-p")
        if secret_flag:
            if token.startswith("--") and "=" in token:
                out.append(f"{name}={MASK}")
            elif not token.startswith("--") and len(token) > 2:
                out.append(f"{name}{MASK}")
            else:
                out.append(token)
                if i + 1 < len(tokens):
                    out.append(MASK)
                    i += 1
            i += 1
            continue
        if name == "--from-literal":
            if "=" in token:
                literal = token.split("=", 1)[1]
                key = literal.split("=", 1)[0]
                out.append(f"--from-literal={key}={MASK}")
            else:
                out.append(token)
                if i + 1 < len(tokens):
                    out.append(tokens[i + 1].split("=", 1)[0] + f"={MASK}")
                    i += 1
            i += 1
            continue
        if token.startswith("--") and "=" in token:
            flag, value = token.split("=", 1)
            out.append(f"{flag}={_mask_value(value)}")
        else:
            out.append(_mask_value(token))
        i += 1
    return tuple(out)


# --------------------------------------------------------------------------- quick commands

REVISION_PLACEHOLDER = "N"


def rollout_history_command(deployment: str) -> str:
    return f"kubectl rollout history deployment/{shlex.quote(deployment)}"


def rollout_undo_command(deployment: str, revision: int | None = None) -> str:
    """``kubectl rollout undo deployment/NAME --to-revision=N``; without a revision the
    placeholder ``N`` is left for the operator (and refused if run as is)."""
    to = str(revision) if revision is not None else REVISION_PLACEHOLDER
    return f"kubectl rollout undo deployment/{shlex.quote(deployment)} --to-revision={to}"


def engine_ps_command(program: str, container: str) -> str:
    return f"{program} ps -a --filter name={shlex.quote(container)}"


def engine_logs_command(program: str, container: str, tail: int = 200) -> str:
    return f"{program} logs --tail {tail} {shlex.quote(container)}"


# --------------------------------------------------------------------------- outcome


@dataclass(frozen=True)
class Outcome:
    """How a run ended, as the console says it (qutebrowser's ProcessOutcome, in spirit)."""

    code: int | None = None  # the exit code when the program exited by itself
    stopped: bool = False  # the operator pressed Stop (or closed the dialog)
    crashed: bool = False  # ended by a signal nobody here sent
    start_error: str = ""  # it never started (not installed, not executable, ...)

    @property
    def succeeded(self) -> bool:
        return self.code == 0 and not (self.stopped or self.crashed or self.start_error)

    @property
    def sentence(self) -> str:
        if self.start_error:
            return f"could not start: {self.start_error}"
        if self.stopped:
            return "stopped"
        if self.crashed:
            return "crashed"
        return f"exited with code {self.code}"

    @property
    def audit_outcome(self) -> str:
        if self.succeeded:
            return "succeeded"
        if self.start_error:
            return "could not start"
        if self.stopped:
            return "stopped"
        if self.crashed:
            return "crashed"
        return f"failed (exit code {self.code})"
