"""The normalising-flow samplers, now :mod:`vaelab.samplers.flows`; this name stays for existing imports."""

from vaelab.samplers.flows import (
    FLOW_KINDS,
    MAX_MAF_DIM,
    REALNVP_ARCHITECTURES,
    FlowSampler,
    MAFSampler,
    RealNVPSampler,
    flow_kind,
    maf_flow,
    realnvp_flow,
)

__all__ = ["FLOW_KINDS", "REALNVP_ARCHITECTURES", "MAX_MAF_DIM", "FlowSampler", "MAFSampler", "RealNVPSampler",
           "maf_flow", "realnvp_flow", "flow_kind"]
