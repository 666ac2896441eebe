"""One run of the mode-collapse benchmark: train a (dataset, config, seed) from scratch and measure it."""
from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
import time
from types import ModuleType
from typing import Any

from ..common import ROOT
from .configs import Z_DIM, Config
from .metrics import classifier, measure_2d, measure_digits, mixture
from .nets import make_nets, make_optimizer

MSGAN_DIR = ROOT / "examples" / "hjgan-msgan"
_DIGITS: dict[str, Any] = {}  # per process: the train split's digit images


def digit_pool():
    """The train split's digit images (Stacked-Digits draws each channel uniformly from them)."""
    if "digits" not in _DIGITS:
        from hjgan_plugin.datasets.digits import load_digits_split

        _DIGITS["digits"] = load_digits_split("train")[0][:, 0]  # (1438, 8, 8)
    return _DIGITS["digits"]


def msgan_module() -> ModuleType:
    """The example plugin ``hjgan_msgan``: the installed one, else the source in examples/hjgan-msgan
    (imported from there without putting the folder on ``sys.path``)."""
    if "hjgan_msgan" in sys.modules:
        return sys.modules["hjgan_msgan"]
    spec = importlib.util.find_spec("hjgan_msgan") or \
        importlib.machinery.PathFinder.find_spec("hjgan_msgan", [str(MSGAN_DIR)])
    if spec is None or spec.loader is None:
        raise ImportError(f"the MSGAN configs need the example plugin hjgan_msgan (pip install -e {MSGAN_DIR})")
    module = importlib.util.module_from_spec(spec)
    sys.modules["hjgan_msgan"] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules["hjgan_msgan"]
        raise
    return module


def plugin_manager(config: Config):
    """A fresh ``hjgan`` plugin manager; for MSGAN with the example plugin registered (through its entry
    point when it is pip-installed, else the module from examples/hjgan-msgan), for every other config
    without it. The MSGAN weight is not set here: it is the plugin's option, given to ``attach``."""
    from hjgan_plugin.plugin_manager import make_plugin_manager

    pm = make_plugin_manager()
    if config.kind != "msgan":
        if pm.get_plugin("msgan") is not None:
            pm.unregister(name="msgan")
        return pm
    if pm.get_plugin("msgan") is None:
        pm.register(msgan_module(), name="msgan")
    return pm


def run_one(job: dict[str, Any]) -> dict[str, Any]:
    """Train one (dataset, config, seed) and measure it (runs in a worker process)."""
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(1)
    from hjgan_plugin import attach

    dataset, config, seed, s = job["dataset"], Config.parse(job["config"]), job["seed"], job["settings"]
    iters, lr = s["iters"][dataset], s["lr"][dataset]
    batch, z_dim = s["batch"], Z_DIM[dataset]
    torch.manual_seed(seed)
    G, D = make_nets(dataset, s["width"])
    opt_g = make_optimizer(G.parameters(), lr)
    opt_d = make_optimizer(D.parameters(), lr)
    fields = config.attach_fields(iters)
    session = None
    if fields is not None:
        session = attach(G, D, optimizer_G=opt_g, optimizer_D=opt_d, plugin_manager=plugin_manager(config),
                         seed=seed, **fields)
    data_gen = torch.Generator().manual_seed(seed + 1)
    z_gen = torch.Generator().manual_seed(seed + 2)
    if dataset == "digits":
        pool = digit_pool()

        def real_batch():  # Stacked Digits: three independent train-split digits per image
            return pool[torch.randint(len(pool), (batch, 3), generator=data_gen)]
    else:
        mix = mixture(dataset)

        def real_batch():
            return mix.sample(batch, data_gen)[0]

    clf = classifier(s["classifier"]) if dataset == "digits" else None

    def evaluate(n: int) -> dict[str, Any]:
        z = torch.randn(n, z_dim, generator=torch.Generator().manual_seed(10_000 + seed))
        with torch.no_grad():
            out = torch.cat([G(c) for c in z.split(4096)])
        if dataset == "digits":
            return measure_digits(out, clf, quiet=True)
        return measure_2d(out, dataset)

    # metrics during training: every 2D run (cheap), digits baselines only (10k images per evaluation)
    n_check = s["digit_checkpoints"] if dataset == "digits" else s["checkpoints"]
    checkpoints = set()
    if config.kind == "baseline" or dataset != "digits":
        checkpoints = {round(iters * (i + 1) / n_check) for i in range(n_check)} - {iters}
    history: list[dict[str, Any]] = []
    window = max(1, iters // 10)  # D's real-fake probability gap, averaged over the last 10% of iterations
    gap = torch.zeros(())
    start = time.perf_counter()
    eval_seconds = 0.0
    for it in range(1, iters + 1):
        real = real_batch()
        z = torch.randn(batch, z_dim, generator=z_gen)
        fake = G(z)  # one batch of fakes for both steps, as PyTorch's DCGAN example (G is unchanged by D's step)
        logits = D(torch.cat([real, fake.detach()]))
        l_real, l_fake = logits[:batch], logits[batch:]
        loss_d = F.softplus(-l_real).mean() + F.softplus(l_fake).mean()
        opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        opt_d.step()  # the exchange runs from this step's post-hook
        if it > iters - window:
            gap += (l_real.detach().sigmoid().mean() - l_fake.detach().sigmoid().mean()) / window
        loss_g = F.softplus(-D(fake)).mean()  # D after its step (and the exchange)
        if session is not None:  # MSGAN's, top-k's or unrolled's term; 0 for the exchange and sn configs
            loss_g = loss_g + session.generator_penalty(z, G_z=fake, real=real)
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        if it in checkpoints:
            t0 = time.perf_counter()
            m = evaluate(s["digit_samples"] if dataset == "digits" else s["samples"])
            history.append({"iteration": it, **{k: v for k, v in m.items() if k != "counts"}})
            eval_seconds += time.perf_counter() - t0
    train_seconds = time.perf_counter() - start - eval_seconds
    t0 = time.perf_counter()
    final = evaluate(s["digit_samples"] if dataset == "digits" else s["samples"])
    history.append({"iteration": iters, **{k: v for k, v in final.items() if k != "counts"}})
    row: dict[str, Any] = {"dataset": dataset, "config": config.key, "seed": seed, "iters": iters, **final,
                           "d_gap": float(gap), "train_seconds": train_seconds,
                           "ms_per_iteration": 1e3 * train_seconds / iters,
                           "eval_seconds": eval_seconds + time.perf_counter() - t0, "history": history}
    if session is not None:
        last = session.last
        row["msgan_term"] = last.get("msgan")
        if session.exchange is not None:
            row.update(exchange_count=last["exchange/count"], exchange_cosine=last["exchange/mean_cosine"],
                       exchange_d_norm_ratio=last["exchange/d_norm_ratio"],
                       exchange_fraction_paired=last["exchange/fraction_paired"],
                       exchange_pairs=session.exchange.report.n_pairs)
    if dataset != "digits" and seed == job["plot_seed"]:
        z = torch.randn(s["samples"], z_dim, generator=torch.Generator().manual_seed(10_000 + seed))
        with torch.no_grad():
            row["points"] = G(z).double().numpy().round(4).tolist()
    return row
