#!/usr/bin/env python3
"""The deployment artefacts under deploy/ agree with the program and with each other.

Parses every YAML file under deploy/ (all documents), the Dockerfile, the systemd unit
and the example configuration files, and checks:

- every Kubernetes object has apiVersion, kind and metadata.name;
- every configuration key they use exists and every value is accepted: each way the
  program is started (Dockerfile CMD, compose services, systemd ExecStart, Kubernetes
  containers) is replayed as `newsflow ... --dump-config` with its arguments, its
  NEWSFLOW_* environment and its mounted configuration files, and must exit 0; keys in
  commented-out examples must exist too (`newsflow run --help-config` lists them), so a
  renamed key fails here;
- the ops endpoint is reachable where it is probed: ops.listen is not loopback in
  containers, the probes ask /healthz (liveness) and /readyz (readiness) on the port
  ops.listen gives, the Service and its Prometheus annotations point at that port;
- stop timeouts exceed shutdown.timeout.ms; the StatefulSet runs exactly once with a
  transactional.id made from the pod name; pods do not get Kubernetes' service-link
  variables (NEWSFLOW_PORT... would be refused as unknown keys); selectors match;
- the compose file references existing files, services and every topic of
  deploy/kafka/kafka.sh; its Kafka image is the version deploy/kafka/pom.xml pins;
- the Dockerfile's HEALTHCHECK asks /healthz, it copies what CMakeLists.txt builds and
  installs, and .dockerignore does not hide any of it; it runs as a non-root user;
- the systemd unit has the expected hardening and passes `systemd-analyze verify`
  (skipped, with a message, where systemd-analyze is missing);
- against a running `newsflow run` (embedded cluster), the Dockerfile's HEALTHCHECK
  command succeeds and every probed path answers (200 or 503, not 404).

Usage: check_manifests.py NEWSFLOW_BINARY SOURCE_DIR
"""
import fnmatch
import glob
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import urllib.error
import urllib.request

import yaml

BINARY = SRC = ""
KEYS = set()
failures = []
checks = 0


def fail(where, msg):
    failures.append(f"{where}: {msg}")


def check(cond, where, msg):
    global checks
    checks += 1
    if not cond:
        fail(where, msg)
    return cond


def rel(path):
    return os.path.relpath(path, SRC)


# --- configuration keys ------------------------------------------------------------

def load_keys():
    out = subprocess.run([BINARY, "run", "--help-config"], capture_output=True, text=True,
                         check=True).stdout
    keys = set(re.findall(r"^\| `([a-z0-9_.]+)` \|", out, re.M))
    if len(keys) < 20:
        sys.exit(f"only {len(keys)} keys in `newsflow run --help-config`")
    return keys


def env_key(name):
    """NEWSFLOW_<KEY> -> key, as common/config.c maps it."""
    return name[len("NEWSFLOW_"):].lower().replace("_", ".")


def check_key(where, key):
    check(key in KEYS or key.startswith("kafka."), where,
          f"unknown configuration key {key!r} (not in `newsflow run --help-config`)")


def parse_assignments(text):
    """KEY=VALUE lines of a properties or environment file: (key, value, commented)."""
    out = []
    for line in text.splitlines():
        s = line.strip()
        commented = s.startswith("#")
        if commented:
            s = s.lstrip("#").strip()
        m = re.match(r"^([A-Za-z][A-Za-z0-9_.-]*)\s*=\s*(.*)$", s)
        if m:
            out.append((m.group(1), m.group(2), commented))
        elif s and not commented and not s.startswith("!"):
            out.append((None, s, False))
    return out


def check_commented(where, text):
    """Commented-out examples must name real keys (and valid librdkafka properties)."""
    for key, value, commented in parse_assignments(text):
        if not commented:
            continue
        if key.startswith("NEWSFLOW_"):
            key = env_key(key)
        elif not re.match(r"^[a-z][a-z0-9_.-]*$", key) or "." not in key:
            continue  # prose, not an example
        check_key(f"{where} (commented example)", key)
        if key.startswith("kafka."):
            r = run_dump(["run", "-X", f"{key}={value}"], {})
            check(r.returncode == 0, f"{where} (commented example)", r.stderr.strip())


def run_dump(args, env):
    """`newsflow ARGS --dump-config` with exactly the given NEWSFLOW_* environment."""
    full = {k: v for k, v in os.environ.items() if not k.startswith("NEWSFLOW_")}
    full.update(env)
    return subprocess.run([BINARY, *args, "--dump-config"], capture_output=True, text=True,
                          env=full, timeout=60)


def dumped(stdout):
    conf = {}
    for line in stdout.splitlines():
        if line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        conf[key] = re.sub(r"\s+# .*$", "", value)
    return conf


def replay(where, argv, env, mounts):
    """Run the program as it would be started, with --dump-config; returns the effective
    configuration, or None. mounts maps paths the program sees to files in the tree."""
    for name in env:
        check_key(f"{where}: environment {name}", env_key(name))
    args = list(argv)
    if not check(args and os.path.basename(args[0]) == "newsflow", where,
                 f"does not start newsflow: {args}"):
        return None
    args = args[1:]
    for i, a in enumerate(args):
        if a in ("-X", "--set") and i + 1 < len(args):
            check_key(f"{where}: {a} {args[i + 1]}", args[i + 1].split("=", 1)[0])
        elif a in ("-c", "--config") and i + 1 < len(args):
            host = map_path(args[i + 1], mounts)
            if check(host is not None and os.path.isfile(host), where,
                     f"-c {args[i + 1]}: no such file is provided"):
                args[i + 1] = host
    r = run_dump(args, env)
    error = r.stderr.strip() or f"exit {r.returncode}"
    for inside, host in mounts.items():
        error = error.replace(host, inside)
    if not check(r.returncode == 0, where, f"newsflow {' '.join(argv[1:])}: {error}"):
        return None
    conf = dumped(r.stdout)
    # An alert-rules file given in the configuration must load.
    if conf.get("alerts.rules") not in (None, "", "none"):
        host = map_path(conf["alerts.rules"], mounts)
        if check(host is not None and os.path.isfile(host), where,
                 f"alerts.rules {conf['alerts.rules']}: no such file is provided"):
            error = alert_rules_error(open(host).read())
            check(not error, where, "alerts.rules: " +
                  error.replace(ALERTS_PLACEHOLDER, conf["alerts.rules"]))
    return conf


_alert_rules_checked = {}
ALERTS_PLACEHOLDER = "<alerts.rules>"


def alert_rules_error(text):
    """Why newsflow refuses these alert rules ('' if it loads them); one run per text."""
    if text not in _alert_rules_checked:
        fd, path = tempfile.mkstemp(prefix="nf-alerts-", suffix=".conf", dir=TMP)
        with os.fdopen(fd, "w") as f:
            f.write(text)
        r = subprocess.run([BINARY, "classify", "-X", "log.level=warn", "-X",
                            f"alerts.rules={path}"], input="", capture_output=True, text=True,
                           timeout=60)
        _alert_rules_checked[text] = "" if r.returncode == 0 else \
            (r.stderr.strip() or f"exit {r.returncode}").replace(path, ALERTS_PLACEHOLDER)
    return _alert_rules_checked[text]


def map_path(path, mounts):
    for prefix in sorted(mounts, key=len, reverse=True):
        if path == prefix or path.startswith(prefix.rstrip("/") + "/"):
            target = mounts[prefix]
            if path == prefix:
                return target
            return os.path.join(target, path[len(prefix.rstrip("/")) + 1:])
    return None


def ops_port(where, conf):
    """The ops endpoint's port; it must listen beyond loopback (probes, Prometheus)."""
    listen = conf.get("ops.listen", "")
    m = re.match(r"^(.*):(\d+)$", listen)
    if not check(m, where, f"ops.listen {listen!r} is not host:port"):
        return None
    check(m.group(1) not in ("127.0.0.1", "localhost", "[::1]", "::1"), where,
          f"ops.listen {listen} is loopback: probes and Prometheus cannot reach it")
    return int(m.group(2))


def check_stop_timeout(where, conf, seconds):
    ms = int(conf.get("shutdown.timeout.ms", "30000"))
    check(seconds is not None and seconds * 1000 > ms, where,
          f"stop timeout {seconds} s is not above shutdown.timeout.ms ({ms} ms)")


# --- Dockerfile --------------------------------------------------------------------

def dockerfile_instructions(path):
    lines, cur = [], ""
    for raw in open(path, encoding="utf-8"):
        s = raw.rstrip("\n")
        if not cur and (not s.strip() or s.lstrip().startswith("#")):
            continue
        if cur and s.lstrip().startswith("#"):
            continue
        if s.endswith("\\"):
            cur += s[:-1] + " "
            continue
        cur += s
        parts = cur.strip().split(None, 1)
        lines.append((parts[0].upper(), parts[1] if len(parts) > 1 else ""))
        cur = ""
    return lines


def exec_form(arg):
    arg = arg.strip()
    if arg.startswith("["):
        return json.loads(arg)
    return ["/bin/sh", "-c", arg]


def dockerignore_patterns():
    path = os.path.join(SRC, ".dockerignore")
    if not os.path.exists(path):
        return []
    return [p.strip().rstrip("/") for p in open(path) if p.strip() and
            not p.startswith("#")]


def ignored(path, patterns):
    """Whether .dockerignore patterns exclude path or a directory above it (Docker's
    rules, near enough: later patterns win, ! re-includes, **/ matches any depth)."""
    parts = path.strip("/").split("/")
    prefixes = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
    result = False
    for pat in patterns:
        neg = pat.startswith("!")
        pat = pat.lstrip("!").strip("/")
        anywhere = pat.startswith("**/")
        pat = pat[3:] if anywhere else pat
        for p in prefixes:
            segs = p.split("/")
            cands = ["/".join(segs[i:]) for i in range(len(segs))] if anywhere else [p]
            if any(fnmatch.fnmatchcase(c, pat) for c in cands):
                result = not neg
    return result


def check_dockerfile(path):
    where = rel(path)
    ins = dockerfile_instructions(path)
    args, image = {}, {"env": {}, "cmd": None, "entrypoint": None, "user": None}
    froms, copies = [], []
    health = None
    for op, arg in ins:
        if op == "ARG":
            k, _, v = arg.partition("=")
            args[k.strip()] = v.strip()
        elif op == "FROM":
            ref = re.sub(r"\$\{(\w+)\}|\$(\w+)",
                         lambda m: args.get(m.group(1) or m.group(2), ""), arg.split()[0])
            froms.append(ref)
            image = {"env": {}, "cmd": None, "entrypoint": None, "user": None}
        elif op == "ENV":
            for tok in shlex.split(arg):
                if "=" in tok:
                    k, v = tok.split("=", 1)
                    image["env"][k] = v
        elif op in ("CMD", "ENTRYPOINT"):
            image[op.lower()] = exec_form(arg)
        elif op == "USER":
            image["user"] = arg.strip()
        elif op == "HEALTHCHECK":
            health = arg
        elif op == "COPY":
            toks = [t for t in exec_form(arg) if not t.startswith("--")] \
                if arg.strip().startswith("[") else [t for t in arg.split()
                                                     if not t.startswith("--")]
            if not re.search(r"--from=", arg):
                copies.extend(toks[:-1])
    check(froms and all(f == "debian:12-slim" for f in froms), where,
          f"every stage must be FROM debian:12-slim, found {froms}")
    check(len(froms) >= 2, where, "not a multi-stage build")
    user = (image["user"] or "root").split(":")[0]
    check(user not in ("root", "0"), where, f"the image runs as {user}")
    check(re.match(r"^\d+$", user or ""), where,
          "USER should be numeric, so that Kubernetes' runAsNonRoot can check it")

    # HEALTHCHECK asks /healthz.
    hc_cmd = None
    if check(health is not None, where, "no HEALTHCHECK"):
        m = re.search(r"\bCMD\s+(.*)$", health)
        if check(m, where, "HEALTHCHECK without CMD"):
            hc_cmd = exec_form(m.group(1))
            check("/healthz" in " ".join(hc_cmd), where, "HEALTHCHECK does not ask /healthz")

    # What is copied exists, is not hidden by .dockerignore, and covers the build.
    patterns = dockerignore_patterns()
    for src in copies:
        check(os.path.exists(os.path.join(SRC, src)), where, f"COPY {src}: no such path")
        check(not ignored(src, patterns), where, f"COPY {src} is excluded by .dockerignore")
    copied = {c.strip("/").removeprefix("./") for c in copies}
    cml = open(os.path.join(SRC, "CMakeLists.txt")).read()
    needed = set(re.findall(r"add_subdirectory\((\w+)\)", cml)) - {"tests"}
    needed |= {p.strip("/") for p in re.findall(r"install\((?:DIRECTORY|FILES)\s+(\S+)", cml)}
    needed.add("CMakeLists.txt")
    for n in sorted(needed):
        check(any(n == c or n.startswith(c + "/") for c in copied), where,
              f"{n} (built or installed by CMakeLists.txt) is not copied into the image")

    # The image's own start-up: ENTRYPOINT + CMD with its ENV.
    nf_env = {k: v for k, v in image["env"].items() if k.startswith("NEWSFLOW_")}
    argv = (image["entrypoint"] or []) + (image["cmd"] or [])
    conf = replay(f"{where} (ENTRYPOINT/CMD)", argv, nf_env, {})
    if conf:
        ops_port(f"{where} (ENV)", conf)
    return {"env": nf_env, "entrypoint": image["entrypoint"], "cmd": image["cmd"],
            "healthcheck": hc_cmd}


# --- compose ------------------------------------------------------------------------

def topics_of_kafka_sh():
    text = open(os.path.join(SRC, "deploy/kafka/kafka.sh")).read()
    m = re.search(r"DEFAULT_TOPICS=\((.*?)\)", text, re.S)
    return [t.split(":")[0] for t in m.group(1).split()] if m else []


def env_dict(env):
    if isinstance(env, dict):
        return {str(k): "" if v is None else str(v) for k, v in env.items()}
    out = {}
    for item in env or []:
        k, _, v = str(item).partition("=")
        out[k] = v
    return out


def as_argv(cmd):
    if cmd is None:
        return None
    return shlex.split(cmd) if isinstance(cmd, str) else [str(c) for c in cmd]


def compose_interpolate(value):
    # ${VAR:-default} / ${VAR-default} -> default; ${VAR} / $VAR -> "x"; $$ -> $
    value = re.sub(r"\$\{\w+:?-([^}]*)\}", r"\1", value)
    value = re.sub(r"\$\{\w+\}|\$(?!\$)\w+", "x", value)
    return value.replace("$$", "$")


def check_compose(path, doc, image_info):
    where = rel(path)
    base = os.path.dirname(path)
    services = doc.get("services") or {}
    check(services, where, "no services")
    pinned = re.search(r"<kafka\.version>(.*?)</kafka\.version>",
                       open(os.path.join(SRC, "deploy/kafka/pom.xml")).read())
    ours, topic_cmds = [], []
    for name, svc in services.items():
        w = f"{where}: service {name}"
        for dep in (svc.get("depends_on") or {}):
            check(dep in services, w, f"depends_on {dep}: no such service")
        build = svc.get("build")
        if build is not None:
            ctx = build if isinstance(build, str) else build.get("context", ".")
            ctx = os.path.normpath(os.path.join(base, ctx))
            check(os.path.isdir(ctx), w, f"build context {rel(ctx)}: no such directory")
            df = os.path.join(ctx, "Dockerfile" if isinstance(build, str)
                              else build.get("dockerfile", "Dockerfile"))
            if check(os.path.isfile(df), w, f"Dockerfile {rel(df)}: no such file"):
                if os.path.samefile(df, os.path.join(SRC, "deploy/docker/Dockerfile")):
                    ours.append(name)
        mounts = {}
        for vol in svc.get("volumes") or []:
            if isinstance(vol, dict):
                src, dst = vol.get("source", ""), vol.get("target", "")
                bind = vol.get("type") == "bind"
            else:
                src, _, rest = str(vol).partition(":")
                dst = rest.split(":")[0]
                bind = src.startswith((".", "/", "~"))
            if bind:
                host = os.path.normpath(os.path.join(base, src))
                if check(os.path.exists(host), w, f"volume {src}: no such path"):
                    mounts[dst] = host
        image = str(svc.get("image", ""))
        if image.startswith("apache/kafka:") and pinned:
            check(image == f"apache/kafka:{pinned.group(1)}", w,
                  f"{image}: deploy/kafka/pom.xml pins Kafka {pinned.group(1)}")
        if "kafka-topics.sh" in json.dumps(svc.get("command") or svc.get("entrypoint") or ""):
            topic_cmds.append(" ".join(as_argv(svc.get("command")) or []))
        if name in ours:
            env = dict(image_info["env"])
            env.update({k: compose_interpolate(v) for k, v in
                        env_dict(svc.get("environment")).items() if k.startswith("NEWSFLOW_")})
            entry = as_argv(svc.get("entrypoint")) or image_info["entrypoint"] or []
            cmd = as_argv(svc.get("command"))
            argv = entry + (cmd if cmd is not None else image_info["cmd"] or [])
            # File arguments inside a bind mount must exist in the tree.
            for a in argv[1:]:
                if a.startswith("/") and map_path(a, mounts):
                    check(os.path.exists(map_path(a, mounts)), w,
                          f"{a} -> {rel(map_path(a, mounts))}: no such file")
            conf = replay(w, argv, env, mounts)
            if conf and len(argv) > 1 and argv[1] == "run":
                port = ops_port(w, conf)
                published = [str(p) for p in svc.get("ports") or []]
                check(any(p.split(":")[-1].split("/")[0] == str(port) for p in published), w,
                      f"ops port {port} is not published")
                check_stop_timeout(w, conf, duration_s(svc.get("stop_grace_period", "10s")))
    check(ours, where, "no service is built from deploy/docker/Dockerfile")
    check(any(len(as_argv(services[s].get("command")) or []) > 1 and
              as_argv(services[s].get("command"))[0] == "publish" for s in ours), where,
          "no service runs `newsflow publish`")
    if check(topic_cmds, where, "no service creates the topics with kafka-topics.sh"):
        words = set(re.findall(r"[A-Za-z0-9._-]+", " ".join(topic_cmds)))
        for topic in topics_of_kafka_sh():
            check(topic in words, where, f"topic {topic} (deploy/kafka/kafka.sh) is not created")


def duration_s(value):
    total = 0.0
    for num, unit in re.findall(r"(\d+(?:\.\d+)?)(h|ms|m|s|us)?", str(value)):
        total += float(num) * {"h": 3600, "m": 60, "s": 1, "ms": 0.001, "us": 1e-6,
                               "": 1}[unit]
    return total


# --- Kubernetes -----------------------------------------------------------------------

def pod_templates(objs):
    for where, obj in objs:
        if obj.get("kind") in ("Deployment", "StatefulSet", "DaemonSet", "Job"):
            yield where, obj, obj["spec"]["template"]


def labels_match(selector, labels):
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def check_k8s(objs, image_info, probed):
    configmaps = {o["metadata"]["name"]: o for _, o in objs if o.get("kind") == "ConfigMap"}
    services = [(w, o) for w, o in objs if o.get("kind") == "Service"]
    pdbs = [(w, o) for w, o in objs if o.get("kind") == "PodDisruptionBudget"]
    workloads = list(pod_templates(objs))
    check(any(o["kind"] == "Deployment" for _, o, _ in workloads), "deploy/k8s", "no Deployment")
    check(any(o["kind"] == "StatefulSet" for _, o, _ in workloads), "deploy/k8s",
          "no StatefulSet (exactly-once mode)")
    ports_by_workload = {}
    for where, obj, tmpl in workloads:
        w = f"{where}: {obj['kind']} {obj['metadata']['name']}"
        spec = tmpl.get("spec", {})
        labels = tmpl.get("metadata", {}).get("labels", {})
        check(labels_match(obj["spec"].get("selector", {}).get("matchLabels"), labels), w,
              "selector does not match the pod template's labels")
        check(spec.get("enableServiceLinks") is False, w,
              "enableServiceLinks must be false: the NEWSFLOW_* variables of a Service "
              "named newsflow would be read as unknown configuration keys")
        check(spec.get("securityContext", {}).get("runAsNonRoot") is True, w,
              "runAsNonRoot is not set")
        volumes = {v["name"]: v for v in spec.get("volumes", [])}
        for c in spec.get("containers", []):
            cw = f"{w}, container {c.get('name')}"
            check("newsflow" in str(c.get("image", "")), cw, f"image {c.get('image')}")
            # Files the container sees: ConfigMap volumes, materialised in a temp dir.
            mounts = {}
            for vm in c.get("volumeMounts", []):
                vol = volumes.get(vm["name"])
                if not check(vol is not None, cw, f"volumeMount {vm['name']}: no such volume"):
                    continue
                if "configMap" in vol:
                    cm = configmaps.get(vol["configMap"]["name"])
                    if check(cm is not None, cw, f"ConfigMap {vol['configMap']['name']} "
                             "is not among the manifests"):
                        d = tempfile.mkdtemp(prefix="nf-cm-", dir=TMP)
                        for key, text in (cm.get("data") or {}).items():
                            with open(os.path.join(d, key), "w") as f:
                                f.write(text)
                        mounts[vm["mountPath"]] = d
            # Environment, with $(VAR) references resolved as the kubelet does.
            env, resolved, pod_name_vars = {}, {}, set()
            for e in c.get("env", []):
                if "valueFrom" in e:
                    ref = e["valueFrom"].get("fieldRef", {}).get("fieldPath")
                    resolved[e["name"]] = f"<{ref or 'ref'}>"
                    if ref == "metadata.name":
                        pod_name_vars.add(e["name"])
                else:
                    resolved[e["name"]] = re.sub(
                        r"\$\((\w+)\)", lambda m: resolved.get(m.group(1), m.group(0)),
                        str(e.get("value", "")))
                if e["name"].startswith("NEWSFLOW_"):
                    env[e["name"]] = resolved[e["name"]]
            for ef in c.get("envFrom", []):
                cm = configmaps.get((ef.get("configMapRef") or {}).get("name"))
                for k, v in ((cm or {}).get("data") or {}).items():
                    name = ef.get("prefix", "") + k
                    if name.startswith("NEWSFLOW_") and name not in env:
                        env[name] = str(v)
            full_env = dict(image_info["env"])
            full_env.update(env)
            command = c.get("command") or image_info["entrypoint"] or []
            args = c.get("args") if c.get("args") is not None else \
                ([] if c.get("command") else image_info["cmd"] or [])
            named = {p.get("name"): p["containerPort"] for p in c.get("ports", [])}
            ports_by_workload[w] = (labels, None, named)
            conf = replay(cw, command + args, full_env, mounts)
            if not conf:
                continue
            port = ops_port(cw, conf)
            check(port in named.values(), cw, f"ops port {port} is not a containerPort")
            ports_by_workload[w] = (labels, port, named)
            check_stop_timeout(cw, conf, spec.get("terminationGracePeriodSeconds", 30))
            for kind, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
                get = (c.get(kind) or {}).get("httpGet")
                if check(get, cw, f"no {kind} with httpGet"):
                    check(get.get("path") == path, cw, f"{kind} asks {get.get('path')}, "
                          f"not {path}")
                    p = get.get("port")
                    check(named.get(p, p) == port, cw, f"{kind} port {p} is not the ops port "
                          f"{port}")
                    probed.add(get.get("path"))
            if obj["kind"] == "StatefulSet":
                check(conf.get("processing.guarantee") == "exactly_once", cw,
                      "the StatefulSet is the exactly-once variant: processing.guarantee "
                      f"is {conf.get('processing.guarantee')}")
                tid = conf.get("transactional.id", "")
                check("<metadata.name>" in tid, cw, f"transactional.id {tid!r} is not made "
                      "from the pod name (downward API metadata.name)")
            else:
                check(conf.get("processing.guarantee") != "exactly_once", cw,
                      "exactly once needs stable transactional ids: use the StatefulSet")
            res = c.get("resources", {})
            check(res.get("requests", {}).get("cpu") and res.get("requests", {}).get("memory")
                  and res.get("limits", {}).get("memory"), cw,
                  "resources: requests cpu/memory and a memory limit are expected")
    for where, svc in services:
        w = f"{where}: Service {svc['metadata']['name']}"
        sel = svc["spec"].get("selector", {})
        matched = [v for v in ports_by_workload.values() if labels_match(sel, v[0])]
        if not check(matched, w, f"selector {sel} matches no workload"):
            continue
        ann = svc["metadata"].get("annotations", {})
        check(ann.get("prometheus.io/scrape") == "true", w, "prometheus.io/scrape is not true")
        probed.add(ann.get("prometheus.io/path", "/metrics"))
        for labels, port, named in matched:
            if port is None:
                continue  # its configuration failed, reported above
            check(ann.get("prometheus.io/port") == str(port), w,
                  f"prometheus.io/port {ann.get('prometheus.io/port')} is not {port}")
            check(any(named.get(p.get("targetPort"), p.get("targetPort")) == port
                      for p in svc["spec"].get("ports", [])), w,
                  f"no port targets the ops port {port}")
    for where, pdb in pdbs:
        w = f"{where}: PodDisruptionBudget {pdb['metadata']['name']}"
        sel = pdb["spec"].get("selector", {}).get("matchLabels", {})
        check(any(labels_match(sel, v[0]) for v in ports_by_workload.values()), w,
              f"selector {sel} matches no workload")
    for name, cm in configmaps.items():
        for key, text in (cm.get("data") or {}).items():
            if key.endswith(".properties"):
                check_commented(f"ConfigMap {name} {key}", text)


# --- systemd --------------------------------------------------------------------------

def parse_unit(path):
    sections, cur = {}, None
    for line in open(path):
        s = line.strip()
        if not s or s.startswith(("#", ";")):
            continue
        if s.startswith("["):
            cur = s.strip("[]")
            continue
        k, _, v = s.partition("=")
        sections.setdefault(cur, {}).setdefault(k.strip(), []).append(v.strip())
    return sections


def check_systemd(path):
    where = rel(path)
    svc = parse_unit(path).get("Service", {})

    def one(key):
        return (svc.get(key) or [None])[-1]

    expect = {"ProtectSystem": "strict", "NoNewPrivileges": "yes", "PrivateTmp": "yes",
              "ProtectHome": "yes", "Restart": "on-failure", "KillSignal": "SIGTERM",
              "CapabilityBoundingSet": ""}
    for k, v in expect.items():
        check(one(k) == v, where, f"{k}={one(k)}, expected {k}={v}")
    check(one("DynamicUser") == "yes" or one("User") not in (None, "", "root"), where,
          "runs as root: set DynamicUser=yes or User=")
    for k in ("RestrictAddressFamilies", "SystemCallFilter", "ReadOnlyPaths"):
        check(one(k), where, f"no {k}=")
    check("@system-service" in " ".join(svc.get("SystemCallFilter", [])), where,
          "SystemCallFilter does not start from @system-service")
    check(re.search(r"kill -HUP \$MAINPID", one("ExecReload") or ""), where,
          "ExecReload must send SIGHUP (it reloads the rules)")
    # The environment file and the properties file it names, mapped to the examples here.
    here = os.path.dirname(path)
    mounts = {"/etc/newsflow": here}
    env = {}
    for e in svc.get("Environment", []):
        for tok in shlex.split(e):
            k, _, v = tok.partition("=")
            if k.startswith("NEWSFLOW_"):
                env[k] = v
    for ef in svc.get("EnvironmentFile", []):
        host = map_path(ef.lstrip("-"), mounts)
        if check(host and os.path.isfile(host), where, f"EnvironmentFile {ef}: no example "
                 "beside the unit"):
            for k, v, commented in parse_assignments(open(host).read()):
                if k and not commented and k.startswith("NEWSFLOW_"):
                    env[k] = v
    argv = shlex.split(one("ExecStart") or "")
    conf = replay(f"{where} (ExecStart)", argv, env, mounts)
    if conf:
        check_stop_timeout(where, conf, duration_s(one("TimeoutStopSec") or "90"))
    if argv:
        check("-c" in argv or "--config" in argv, where, "ExecStart names no config file")
        verify_unit(path, argv[0])


def verify_unit(path, exec_path):
    tool = shutil.which("systemd-analyze")
    if not tool:
        print(f"check_manifests: systemd-analyze not found; `systemd-analyze verify "
              f"{rel(path)}` skipped")
        return
    # The unit names the installed binary; verify it with this build's in its place.
    d = tempfile.mkdtemp(prefix="nf-unit-", dir=TMP)
    unit = os.path.join(d, os.path.basename(path))
    text = open(path).read().replace(exec_path, os.path.abspath(BINARY))
    if not os.path.exists("/bin/kill") and shutil.which("kill"):
        text = text.replace("/bin/kill", shutil.which("kill"))
    with open(unit, "w") as f:
        f.write(text)
    r = subprocess.run([tool, "verify", unit], capture_output=True, text=True, timeout=120)
    out = (r.stdout + r.stderr).strip()
    if r.returncode != 0 and ("Failed to connect" in out or "System has not been booted" in out
                              or "Operation not permitted" in out):
        print(f"check_manifests: systemd-analyze verify cannot run here ({out.splitlines()[0]});"
              " skipped")
        return
    # verify exits 0 on unknown keys and bad values: any line about the unit fails too.
    ours = [line.replace(unit, rel(path)) for line in out.splitlines()
            if os.path.basename(path) in line or unit in line]
    check(r.returncode == 0 and not ours, rel(path),
          "systemd-analyze verify: " + ("; ".join(ours) or out or f"exit {r.returncode}"))
    print(f"check_manifests: systemd-analyze verify {rel(path)}: "
          f"{'ok' if r.returncode == 0 and not ours else 'FAILED'}")


# --- against a running newsflow -------------------------------------------------------

def check_live(healthcheck, probed):
    """The HEALTHCHECK command and every probed path, against `newsflow run` with its
    embedded cluster (no Kafka needed)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSFLOW_")}
    proc = subprocess.Popen([BINARY, "run", "-X", "ops.listen=127.0.0.1:0",
                             "-X", "output.print=false", "-X", "log.level=info"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            env=env)
    log, found = [], {}
    up = threading.Event()

    def read():  # also drains stderr, so that the process never blocks on a full pipe
        for line in proc.stderr:
            log.append(line)
            m = re.search(r"serving .* on http://[^:]+:(\d+)/", line)
            if m and not up.is_set():
                found["port"] = int(m.group(1))
                up.set()
        up.set()

    threading.Thread(target=read, daemon=True).start()
    try:
        up.wait(timeout=60)
        port = found.get("port")
        if not check(port, "newsflow run", "no ops endpoint came up:\n" + "".join(log[-5:])):
            return
        if healthcheck:
            hc_env = dict(env, NEWSFLOW_OPS_LISTEN=f"0.0.0.0:{port}")
            r = subprocess.run(healthcheck, env=hc_env, capture_output=True, text=True,
                               timeout=10)
            check(r.returncode == 0, "deploy/docker/Dockerfile",
                  f"HEALTHCHECK {healthcheck} fails against a running newsflow: "
                  f"exit {r.returncode} {r.stderr.strip()}")
        for path in sorted(probed):
            try:
                url = f"http://127.0.0.1:{port}{path}"
                status = NO_PROXY.open(url, timeout=5).status
            except urllib.error.HTTPError as e:
                status = e.code
            except OSError as e:
                status = str(e)
            check(status in (200, 503), "probes", f"GET {path} answers {status}")
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# --- main -----------------------------------------------------------------------------

def main():
    global BINARY, SRC, KEYS, TMP
    if len(sys.argv) != 3:
        sys.exit(__doc__.strip().splitlines()[-1])
    BINARY, SRC = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    KEYS = load_keys()
    TMP = tempfile.mkdtemp(prefix="nf-deploy-check-")
    try:
        deploy = os.path.join(SRC, "deploy")
        dockerfile = os.path.join(deploy, "docker/Dockerfile")
        image_info = check_dockerfile(dockerfile) if check(
            os.path.isfile(dockerfile), "deploy/docker", "no Dockerfile") else \
            {"env": {}, "entrypoint": None, "cmd": None, "healthcheck": None}

        yamls = sorted(glob.glob(os.path.join(deploy, "**/*.y*ml"), recursive=True))
        yamls = [y for y in yamls if re.search(r"\.ya?ml$", y) and
                 "/.cache/" not in y and "/.state/" not in y]
        k8s, composes, probed = [], 0, set()
        for path in yamls:
            try:
                docs = [d for d in yaml.safe_load_all(open(path)) if d is not None]
            except yaml.YAMLError as e:
                fail(rel(path), f"does not parse: {e}")
                continue
            for i, doc in enumerate(docs):
                where = rel(path) + (f" (document {i + 1})" if len(docs) > 1 else "")
                if not check(isinstance(doc, dict), where, "not a mapping"):
                    continue
                if "services" in doc:
                    composes += 1
                    check_compose(path, doc, image_info)
                    continue
                ok = check(doc.get("apiVersion") and doc.get("kind"), where,
                           "neither a compose file nor a Kubernetes object "
                           "(apiVersion, kind)")
                ok = check(isinstance(doc.get("metadata"), dict) and
                           doc["metadata"].get("name"), where, "no metadata.name") and ok
                if ok:
                    k8s.append((where, doc))
        check(composes, "deploy", "no compose file")
        check(k8s, "deploy", "no Kubernetes manifests")
        check_k8s(k8s, image_info, probed)

        units = sorted(glob.glob(os.path.join(deploy, "**/*.service"), recursive=True))
        check(units, "deploy", "no systemd unit")
        for unit in units:
            check_systemd(unit)

        # Example configuration files: active settings must be accepted as they stand,
        # commented ones must name real keys.
        examples = sorted(glob.glob(os.path.join(deploy, "**/newsflow*.properties"),
                                    recursive=True))
        envs = sorted(glob.glob(os.path.join(deploy, "**/*.env"), recursive=True))
        for path in examples:
            r = run_dump(["run", "-c", path], {})
            check(r.returncode == 0, rel(path), r.stderr.strip())
            check_commented(rel(path), open(path).read())
        for path in envs:
            text = open(path).read()
            env = {k: v for k, v, c in parse_assignments(text) if k and not c}
            for k in env:
                check(k.startswith("NEWSFLOW_"), rel(path), f"{k} is not a NEWSFLOW_ variable")
                check_key(f"{rel(path)}: {k}", env_key(k))
            r = run_dump(["run"], {k: v for k, v in env.items() if k.startswith("NEWSFLOW_")})
            check(r.returncode == 0, rel(path), r.stderr.strip())
            check_commented(rel(path), text)

        check_live(image_info.get("healthcheck"), probed)
    finally:
        shutil.rmtree(TMP, ignore_errors=True)

    n_files = len(yamls) + len(units) + len(examples) + len(envs) + 1
    if failures:
        for f in dict.fromkeys(failures):
            print(f"FAIL {f}", file=sys.stderr)
        print(f"check_manifests: {len(failures)} of {checks} checks failed", file=sys.stderr)
        return 1
    print(f"check_manifests: {checks} checks passed over {n_files} deployment files "
          f"({len(KEYS)} configuration keys known)")
    return 0


TMP = None
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))

if __name__ == "__main__":
    sys.exit(main())
