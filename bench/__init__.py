"""Benchmarks: each module prints a table (README, Benchmarks); what they share is here."""

import os
import platform


def machine() -> str:
    """The machine a table's figures come from: its cores, vector extensions and architecture."""
    return f"{os.cpu_count()} CPU cores ({cpu_flags()}), {platform.machine()}"


def cpu_flags() -> str:
    """The CPU's vector extensions that matter to these figures."""
    try:
        flags = set(open("/proc/cpuinfo").read().split("flags")[1].split("\n")[0].split())
    except (OSError, IndexError):
        return "flags unknown"
    wanted = ("avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "amx_bf16", "amx_int8")
    return ", ".join(flag for flag in wanted if flag in flags) or "no AVX2"
