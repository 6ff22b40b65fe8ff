"""One place that opens ONNX models: the CPU provider, a thread count, errors translated."""

from __future__ import annotations

from pathlib import Path

import onnxruntime as ort

from ..core.errors import ConfigError


def default_threads() -> int:
    """Intra-op threads per model: one. Measured on the 2-core machine under other load, two
    threads made the detector three times slower (they wait on each other); a camera agent
    uses the second core to decode the next frame instead (``docs/recognition.md``)."""
    return 1


def session(path: Path, threads: int | None = None) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or default_threads()
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3  # onnxruntime warnings are not the user's business
    try:
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own untyped errors for bad models
        raise ConfigError(f"model {path} cannot be loaded: {str(exc)[:200]}") from exc
