"""The console's rules on plain strings: shell syntax refused, one program per console, pins
added unless the command names its own, mutating verbs recognised, secrets masked, quick
commands, outcomes in words."""

from __future__ import annotations

import shlex

import pytest

from kiops_desktop.ops.console import (
    MASK,
    CommandRefused,
    ConsoleTarget,
    Outcome,
    engine_logs_command,
    engine_ps_command,
    is_mutating,
    mutation_reason,
    prepare,
    redact,
    rollout_history_command,
    rollout_undo_command,
    shell_construct,
)

KUBE = ConsoleTarget("kubernetes", "kiops-sandbox", "shop")
DOCKER = ConsoleTarget("docker", "desktop-linux")
DOCKER_URL = ConsoleTarget("docker", "default", engine_url="tcp://10.0.0.5:2376")
PODMAN = ConsoleTarget("podman", "prod-box")
PODMAN_URL = ConsoleTarget(
    "podman", "rootless", engine_url="unix:///run/user/1000/podman/podman.sock"
)


def refusal(text: str, target: ConsoleTarget = KUBE) -> str:
    with pytest.raises(CommandRefused) as info:
        prepare(text, target)
    return info.value.sentence


# --------------------------------------------------------------------------- shell syntax


@pytest.mark.parametrize(
    ("text", "construct"),
    [
        ("kubectl get pods | grep x", "|"),
        ("kubectl get pods|grep x", "|"),
        ("kubectl get pods > out.txt", ">"),
        ("kubectl get pods 2>&1", ">"),
        ("kubectl apply -f - < x.yaml", "<"),
        ("kubectl get pods; kubectl get svc", ";"),
        ("kubectl get pods && rm -rf /", "&&"),
        ("kubectl get pods || true", "||"),
        ("kubectl get pods -w &", "&"),
        ("kubectl get pod `cat name`", "$("),
        ("kubectl get pod $(cat name)", "$("),
        ('kubectl get pod "$(cat name)"', "$("),
        ('kubectl get pod "`cat name`"', "$("),
        ("kubectl get pods\nkubectl get svc", "newline"),
        ("kubectl get pods -l 'app in (a|b)'", None),
        ("kubectl get pods -o jsonpath='{$.items[*].metadata.name}'", None),
        ("kubectl get pod '$(not expanded)'", None),
        ("kubectl get pods -l app=web\\|x", None),  # escaped: a literal character
        ('kubectl annotate deploy/x note="a | b; c"', None),
        ("kubectl get pods", None),
        ("kubectl get pods -o go-template='{{range .items}}{{.metadata.name}}{{end}}'", None),
    ],
)
def test_shell_constructs_outside_single_quotes(text: str, construct: str | None) -> None:
    assert shell_construct(text) == construct


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("kubectl get pods | grep x", ["Pipes (|)", "-l, --field-selector"]),
        ("kubectl get pods > x", ["Redirections"]),
        ("kubectl get pods ; kubectl get svc", ["Only one command", "“;”"]),
        ("kubectl get pods && kubectl get svc", ["Only one command", "“&&”"]),
        ("kubectl get pods || kubectl get svc", ["Only one command", "“||”"]),
        ("kubectl get pods -w &", ["background (&)", "Stop"]),
        ("kubectl get pod $(cat f)", ["Command substitution"]),
        ("kubectl get pod `cat f`", ["Command substitution"]),
        ("kubectl get pods\nkubectl get svc", ["Only one command", "a second line"]),
    ],
)
def test_shell_syntax_is_refused_with_a_sentence(text: str, words: list[str]) -> None:
    sentence = refusal(text)
    for word in words:
        assert word in sentence
    assert sentence.endswith(".")
    assert "without a shell" in sentence or "without one" in sentence


def test_pipe_advice_names_the_engines_own_filters() -> None:
    assert "--filter, --format" in refusal("docker ps | grep web", DOCKER)
    assert "--filter, --format" in refusal("podman ps | grep web", PODMAN)


# --------------------------------------------------------------------------- programs


@pytest.mark.parametrize(
    ("text", "target", "words"),
    [
        ("bash -c 'kubectl get pods'", KUBE, ["“bash” is not allowed", "kubectl commands only"]),
        ("rm -rf /", KUBE, ["“rm” is not allowed"]),
        ("sudo kubectl get pods", KUBE, ["“sudo” is not allowed"]),
        ("sh", DOCKER, ["“sh” is not allowed", "docker commands only"]),
        ("/usr/bin/kubectl get pods", KUBE, ["without a path", "chosen in Settings"]),
        ("./kubectl get pods", KUBE, ["without a path"]),
        ("C:\\tools\\kubectl.exe get pods", KUBE, ["without a path"]),
        ("/usr/bin/docker ps", DOCKER, ["without a path", "on PATH"]),
        ("docker ps", KUBE, ["pinned to the Kubernetes context “kiops-sandbox”", "Docker"]),
        ("podman ps", DOCKER, ["pinned to the Docker context “desktop-linux”", "Podman"]),
        ("kubectl get pods", PODMAN, ["pinned to the Podman connection “prod-box”", "Kubernetes"]),
        ("", KUBE, ["kubectl rollout history deployment/NAME"]),
        ("   ", DOCKER, ["docker ps -a"]),
        ("kubectl get pod 'unclosed", KUBE, ["quotes do not match"]),
        ('kubectl get pod "unclosed', KUBE, ["quotes do not match"]),
    ],
)
def test_programs_other_than_the_consoles_are_refused(
    text: str, target: ConsoleTarget, words: list[str]
) -> None:
    sentence = refusal(text, target)
    for word in words:
        assert word in sentence


@pytest.mark.parametrize("word", ["kubectl", "KUBECTL", "kubectl.exe", "Kubectl.EXE"])
def test_program_name_case_and_exe_suffix(word: str) -> None:
    assert prepare(f"{word} get pods", KUBE).program == "kubectl"


# --------------------------------------------------------------------------- kubectl pinning


@pytest.mark.parametrize(
    ("text", "pinned", "context", "namespace"),
    [
        (
            "kubectl rollout history deployment/cart",
            ["--context", "kiops-sandbox", "-n", "shop"],
            "kiops-sandbox",
            "shop",
        ),
        (
            "kubectl get pods -n payments",
            ["--context", "kiops-sandbox"],
            "kiops-sandbox",
            "payments",
        ),
        (
            "kubectl get pods --namespace payments",
            ["--context", "kiops-sandbox"],
            "kiops-sandbox",
            "payments",
        ),
        (
            "kubectl get pods --namespace=payments",
            ["--context", "kiops-sandbox"],
            "kiops-sandbox",
            "payments",
        ),
        (
            "kubectl get pods -npayments",
            ["--context", "kiops-sandbox"],
            "kiops-sandbox",
            "payments",
        ),
        (
            "kubectl get pods -n=payments",
            ["--context", "kiops-sandbox"],
            "kiops-sandbox",
            "payments",
        ),
        (
            "kubectl -n payments get pods",
            ["--context", "kiops-sandbox"],
            "kiops-sandbox",
            "payments",
        ),
        ("kubectl get pods -A", ["--context", "kiops-sandbox"], "kiops-sandbox", ""),
        ("kubectl get pods -Aw", ["--context", "kiops-sandbox"], "kiops-sandbox", ""),
        ("kubectl get pods -wA", ["--context", "kiops-sandbox"], "kiops-sandbox", ""),
        ("kubectl get pods --all-namespaces", ["--context", "kiops-sandbox"], "kiops-sandbox", ""),
        (
            "kubectl get pods --all-namespaces=true",
            ["--context", "kiops-sandbox"],
            "kiops-sandbox",
            "",
        ),
        # --all-namespaces=false names nothing: the dialog's namespace still applies
        (
            "kubectl get pods --all-namespaces=false",
            ["--context", "kiops-sandbox", "-n", "shop"],
            "kiops-sandbox",
            "shop",
        ),
        ("kubectl --context other get pods", ["-n", "shop"], "other", "shop"),
        ("kubectl get pods --context=other", ["-n", "shop"], "other", "shop"),
        ("kubectl --context other -n x get pods", [], "other", "x"),
        # -o's value is not a namespace flag; -n after -- belongs to the container's command
        (
            "kubectl get pods -o name",
            ["--context", "kiops-sandbox", "-n", "shop"],
            "kiops-sandbox",
            "shop",
        ),
        (
            "kubectl exec deploy/cart -- ls -n /tmp",
            ["--context", "kiops-sandbox", "-n", "shop"],
            "kiops-sandbox",
            "shop",
        ),
        (
            "kubectl exec deploy/cart -- kubectl --context x get pods",
            ["--context", "kiops-sandbox", "-n", "shop"],
            "kiops-sandbox",
            "shop",
        ),
    ],
)
def test_kubectl_is_pinned_unless_the_command_names_its_own(
    text: str, pinned: list[str], context: str, namespace: str
) -> None:
    command = prepare(text, KUBE)
    typed = shlex.split(text)[1:]
    assert list(command.pinned) == pinned
    assert list(command.args) == [*pinned, *typed]  # pins first: never after a "--"
    assert list(command.typed) == typed
    assert command.argv[0] == "kubectl"
    assert command.context == context
    assert command.namespace == namespace


def test_a_service_without_namespace_pins_only_the_context() -> None:
    command = prepare("kubectl get nodes", ConsoleTarget("kubernetes", "kind-kind"))
    assert command.pinned == ("--context", "kind-kind")


def test_display_shows_what_runs() -> None:
    command = prepare("kubectl rollout history deployment/cart", KUBE)
    assert command.display == (
        "kubectl --context kiops-sandbox -n shop rollout history deployment/cart"
    )
    assert command.typed_display == "kubectl rollout history deployment/cart"
    quoted = prepare("kubectl get pods -l 'app in (a,b)'", KUBE)
    assert quoted.display.endswith("get pods -l 'app in (a,b)'")
    assert quoted.args[-1] == "app in (a,b)"  # one argument, no quotes: nothing re-parses it


# --------------------------------------------------------------------------- engine pinning


@pytest.mark.parametrize(
    ("text", "target", "pinned"),
    [
        ("docker ps", DOCKER, ["--context", "desktop-linux"]),
        ("docker ps", DOCKER_URL, ["-H", "tcp://10.0.0.5:2376"]),
        ("docker --context other ps", DOCKER, []),
        ("docker -c other ps", DOCKER, []),
        ("docker --context=other ps", DOCKER, []),
        ("docker -H unix:///var/run/docker.sock ps", DOCKER, []),
        ("docker --host=tcp://h:2375 ps", DOCKER, []),
        # -c after the subcommand is the subcommand's own (cpu shares), not the context
        ("docker run -c 512 busybox true", DOCKER, ["--context", "desktop-linux"]),
        ("docker --log-level debug ps", DOCKER, ["--context", "desktop-linux"]),
        ("podman ps", PODMAN, ["--connection", "prod-box"]),
        ("podman ps", PODMAN_URL, ["--url", "unix:///run/user/1000/podman/podman.sock"]),
        ("podman --connection other ps", PODMAN, []),
        ("podman -c other ps", PODMAN, []),
        ("podman --url unix:///x.sock ps", PODMAN, []),
        ("podman --log-level=debug ps", PODMAN, ["--connection", "prod-box"]),
    ],
)
def test_engines_are_pinned_to_their_connection(
    text: str, target: ConsoleTarget, pinned: list[str]
) -> None:
    command = prepare(text, target)
    assert list(command.pinned) == pinned
    assert list(command.args) == [*pinned, *shlex.split(text)[1:]]


def test_pin_flags_of_each_runtime() -> None:
    assert KUBE.pin_flags() == ("--context", "kiops-sandbox", "-n", "shop")
    assert DOCKER.pin_flags() == ("--context", "desktop-linux")
    assert PODMAN_URL.pin_flags()[0] == "--url"


# --------------------------------------------------------------------------- mutation

KUBECTL_CASES: list[tuple[str, bool]] = [
    # reads
    ("get pods", False),
    ("get pods -w", False),
    ("describe deployment cart", False),
    ("logs deploy/cart --tail 20", False),
    ("rollout history deployment/cart", False),
    ("rollout status deployment/cart", False),
    ("rollout history deployment/cart --revision 3", False),
    ("top pods", False),
    ("events", False),
    ("explain deployment.spec", False),
    ("api-resources", False),
    ("version", False),
    ("diff -f x.yaml", False),
    ("wait --for=condition=Available deployment/cart", False),
    ("auth can-i delete pods", False),
    ("auth whoami", False),
    ("config view", False),
    ("config get-contexts", False),
    ("config current-context", False),
    ("port-forward svc/cart 8080:80", False),
    ("", False),  # bare kubectl prints help
    ("rollout", False),
    ("help delete", False),
    ("delete --help", False),
    ("delete pod x -h", False),
    ("apply -f x.yaml --dry-run=server", False),
    ("apply -f x.yaml --dry-run=client", False),
    ("rollout undo deployment/cart --dry-run=server", False),
    ("delete pod x --dry-run", False),
    ("-n shop get pods", False),
    ("--context x -n shop rollout history deployment/cart", False),
    ("-o yaml get deploy cart", False),
    # changes
    ("rollout undo deployment/cart", True),
    ("rollout undo deployment/cart --to-revision=2", True),
    ("rollout restart deployment/cart", True),
    ("rollout pause deployment/cart", True),
    ("rollout resume deployment/cart", True),
    ("-n shop rollout undo deployment/cart", True),
    ("--context prod rollout undo deployment/cart", True),
    ("set image deployment/cart app=x:2", True),
    ("set env deployment/cart A=1", True),
    ("scale deployment/cart --replicas 0", True),
    ("autoscale deployment/cart --max 5", True),
    ("patch deployment cart -p {}", True),
    ("apply -f x.yaml", True),
    ("apply -f x.yaml --dry-run=none", True),
    ("create deployment x --image y", True),
    ("replace -f x.yaml", True),
    ("edit deployment cart", True),
    ("delete pod x", True),
    ("annotate deployment cart a=b", True),
    ("label pod x a=b", True),
    ("drain node-1", True),
    ("cordon node-1", True),
    ("uncordon node-1", True),
    ("taint nodes node-1 k=v:NoSchedule", True),
    ("expose deployment cart --port 80", True),
    ("run tmp --image busybox", True),
    ("debug pod/x -it --image busybox", True),
    ("exec deploy/cart -- ls", True),
    ("cp x pod:/tmp/x", True),
    ("config use-context prod", True),
    ("config set-context --current --namespace x", True),
    ("auth reconcile -f rbac.yaml", True),
    ("certificate approve csr-1", True),
    ("some-plugin do-things", True),  # unknown: asks
]


@pytest.mark.parametrize(("args", "mutating"), KUBECTL_CASES)
def test_kubectl_mutating_verbs(args: str, mutating: bool) -> None:
    argv = shlex.split(args)
    assert is_mutating("kubectl", argv) is mutating
    reason = mutation_reason("kubectl", argv)
    if mutating:
        assert reason
        assert reason.endswith(".")
    else:
        assert reason is None


ENGINE_CASES: list[tuple[str, bool]] = [
    # reads
    ("ps", False),
    ("ps -a --filter name=web", False),
    ("images", False),
    ("inspect web", False),
    ("logs --tail 10 web", False),
    ("history busybox", False),
    ("top web", False),
    ("stats --no-stream", False),
    ("port web", False),
    ("diff web", False),
    ("events --since 1m", False),
    ("info", False),
    ("version", False),
    ("search busybox", False),
    ("wait web", False),
    ("container ls", False),
    ("container inspect web", False),
    ("image ls", False),
    ("image inspect busybox", False),
    ("volume ls", False),
    ("volume inspect data", False),
    ("network ls", False),
    ("system df", False),
    ("system info", False),
    ("context ls", False),
    ("compose ps", False),
    ("compose -f x.yml ps", False),
    ("compose -p shop logs web", False),
    ("compose config", False),
    ("image", False),  # prints help
    ("", False),
    ("run --help", False),
    ("--log-level debug ps", False),
    ("--log-level=debug inspect web", False),
    ("compose up --dry-run", False),
    # changes
    ("run -d busybox", True),
    ("create busybox", True),
    ("rm web", True),
    ("rm -f web", True),
    ("rmi busybox", True),
    ("stop web", True),
    ("start web", True),
    ("restart web", True),
    ("kill web", True),
    ("pause web", True),
    ("unpause web", True),
    ("rename web web2", True),
    ("update --restart always web", True),
    ("commit web snapshot", True),
    ("tag busybox mine:1", True),
    ("push mine:1", True),
    ("pull busybox", True),
    ("load -i x.tar", True),
    ("build .", True),
    ("exec web ls", True),
    ("cp web:/x ./x", True),
    ("login registry.example -u me", True),
    ("container rm web", True),
    ("container stop web", True),
    ("image rm busybox", True),
    ("image prune -af", True),
    ("volume rm data", True),
    ("volume prune", True),
    ("network rm shop", True),
    ("system prune", True),
    ("compose up -d", True),
    ("compose -f x.yml down", True),
    ("compose -p shop restart web", True),
    ("context use other", True),
    ("--log-level debug stop web", True),
    ("frobnicate", True),  # unknown: asks
]


@pytest.mark.parametrize("program", ["docker", "podman"])
@pytest.mark.parametrize(("args", "mutating"), ENGINE_CASES)
def test_engine_mutating_verbs(program: str, args: str, mutating: bool) -> None:
    reason = mutation_reason(program, shlex.split(args))
    assert (reason is not None) is mutating
    if reason:
        assert reason.startswith(f"{program} ") or "KIOPS does not know" in reason


@pytest.mark.parametrize(
    ("args", "mutating"),
    [
        ("pod ps", False),
        ("pod rm shop", True),
        ("generate systemd web", False),
        ("kube generate web", False),
        ("kube play x.yaml", True),
        ("kube down x.yaml", True),
        ("healthcheck run web", False),
        ("system connection ls", False),
        ("system connection list", False),
        ("system connection add x ssh://h", True),
        ("system connection default x", True),
        ("system reset", True),
        ("auto-update", True),
        ("mount web", True),
        ("--connection x pod ls", False),
        ("--url unix:///x rm web", True),
    ],
)
def test_podman_specific_verbs(args: str, mutating: bool) -> None:
    assert is_mutating("podman", shlex.split(args)) is mutating


@pytest.mark.parametrize(
    ("args", "mutating"),
    [
        ("--context x ps", False),
        ("-H tcp://h:2375 inspect web", False),
        ("-c x stop web", True),
        ("--tlscacert ca.pem -H tcp://h:2376 rm web", True),
    ],
)
def test_docker_global_flags_are_skipped(args: str, mutating: bool) -> None:
    assert is_mutating("docker", shlex.split(args)) is mutating


def test_reasons_say_what_changes() -> None:
    assert mutation_reason("kubectl", ["rollout", "undo", "deployment/cart"]) == (
        "kubectl rollout undo rolls the deployment back to another revision."
    )
    assert (
        mutation_reason("docker", ["image", "rm", "x"]) == "docker image rm changes local images."
    )
    assert mutation_reason("podman", ["container", "stop", "x"]) == (
        "podman container stop stops containers."
    )
    assert mutation_reason("docker", ["context", "use", "x"]) == (
        "docker context use changes your docker connections."
    )
    unknown = mutation_reason("kubectl", ["frob"])
    assert unknown is not None
    assert "does not know" in unknown


def test_prepare_carries_the_classification() -> None:
    undo = prepare("kubectl rollout undo deployment/cart --to-revision=2", KUBE)
    assert undo.mutating
    assert "rolls the deployment back" in undo.reason
    history = prepare("kubectl rollout history deployment/cart", KUBE)
    assert not history.mutating
    assert history.reason == ""
    assert prepare("docker stop web", DOCKER).mutating
    assert not prepare("podman ps", PODMAN).mutating


@pytest.mark.parametrize(
    "text",
    [
        "kubectl rollout undo deployment/cart --to-revision=N",
        "kubectl rollout undo deployment/cart --to-revision N",
        "kubectl rollout undo deployment/cart --to-revision=two",
    ],
)
def test_undo_with_the_placeholder_left_in_is_refused(text: str) -> None:
    assert "--to-revision with the revision" in refusal(text)


def test_undo_with_a_number_passes() -> None:
    command = prepare("kubectl rollout undo deployment/cart --to-revision 3", KUBE)
    assert command.args[-2:] == ("--to-revision", "3")


# --------------------------------------------------------------------------- redaction


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ("kubectl --token abc get pods", f"kubectl --token {MASK} get pods"),
        ("kubectl --token=abc get pods", f"kubectl --token={MASK} get pods"),
        (
            "kubectl --password s3cret --username me get pods",
            f"kubectl --password {MASK} --username me get pods",
        ),
        (
            "kubectl create secret generic s --from-literal=password=hunter2",
            f"kubectl create secret generic s --from-literal=password={MASK}",
        ),
        (
            "kubectl create secret generic s --from-literal user=admin",
            f"kubectl create secret generic s --from-literal user={MASK}",
        ),
        (
            "kubectl set env deploy/x DB_PASSWORD=hunter2 LOG=1",
            f"kubectl set env deploy/x DB_PASSWORD={MASK} LOG=1",
        ),
        (
            "docker run -e API_KEY=abc -e MODE=x busybox",
            f"docker run -e API_KEY={MASK} -e MODE=x busybox",
        ),
        (
            "docker run --env=GITHUB_TOKEN=abc busybox",
            f"docker run --env=GITHUB_TOKEN={MASK} busybox",
        ),
        ("docker run -p 8080:80 busybox", "docker run -p 8080:80 busybox"),
        ("docker login -u me -p s3cret reg.example", f"docker login -u me -p {MASK} reg.example"),
        (
            "podman login -u me --password=s3cret reg.example",
            f"podman login -u me --password={MASK} reg.example",
        ),
        ("podman pull --creds me:s3cret reg/x", f"podman pull --creds {MASK} reg/x"),
        ("docker -H tcp://me:s3cret@h:2375 ps", f"docker -H tcp://me:{MASK}@h:2375 ps"),
        ("kubectl get pods", "kubectl get pods"),
    ],
)
def test_redact_masks_secrets(argv: str, expected: str) -> None:
    assert list(redact(shlex.split(argv))) == shlex.split(expected)


def test_display_and_typed_display_are_redacted() -> None:
    command = prepare("kubectl --token abc get pods", KUBE)
    assert "abc" not in command.display
    assert "abc" not in command.typed_display
    assert "abc" in command.args  # what runs is untouched


# --------------------------------------------------------------------------- quick commands


def test_quick_commands() -> None:
    assert rollout_history_command("cart") == "kubectl rollout history deployment/cart"
    assert rollout_undo_command("cart", 3) == (
        "kubectl rollout undo deployment/cart --to-revision=3"
    )
    assert rollout_undo_command("cart") == "kubectl rollout undo deployment/cart --to-revision=N"
    assert engine_ps_command("docker", "web") == "docker ps -a --filter name=web"
    assert engine_logs_command("podman", "web", 50) == "podman logs --tail 50 web"


def test_quick_commands_prepare_cleanly() -> None:
    assert not prepare(rollout_history_command("cart"), KUBE).mutating
    assert prepare(rollout_undo_command("cart", 2), KUBE).mutating
    with pytest.raises(CommandRefused):
        prepare(rollout_undo_command("cart"), KUBE)
    assert not prepare(engine_ps_command("docker", "web"), DOCKER).mutating
    assert not prepare(engine_logs_command("podman", "web"), PODMAN).mutating


# --------------------------------------------------------------------------- outcomes


@pytest.mark.parametrize(
    ("outcome", "sentence", "audit", "succeeded"),
    [
        (Outcome(code=0), "exited with code 0", "succeeded", True),
        (Outcome(code=1), "exited with code 1", "failed (exit code 1)", False),
        (Outcome(code=143, stopped=True), "stopped", "stopped", False),
        (Outcome(crashed=True), "crashed", "crashed", False),
        (
            Outcome(start_error="no such file"),
            "could not start: no such file",
            "could not start",
            False,
        ),
    ],
)
def test_outcome_in_words(outcome: Outcome, sentence: str, audit: str, succeeded: bool) -> None:
    assert outcome.sentence == sentence
    assert outcome.audit_outcome == audit
    assert outcome.succeeded is succeeded
