"""Summary protos for the SummaryWriter: scalars, histograms, images, text, hparams.

Each function turns values (dpt Tensors, numpy arrays or Python numbers) into one
``Summary`` proto of tensorboard's, laid out the way TensorBoard's plugins read it.
"""
from __future__ import annotations

import struct
import zlib

import numpy as np
from google.protobuf import struct_pb2
from tensorboard.compat.proto.histogram_pb2 import HistogramProto
from tensorboard.compat.proto.summary_pb2 import Summary, SummaryMetadata
from tensorboard.compat.proto.tensor_pb2 import TensorProto
from tensorboard.compat.proto.tensor_shape_pb2 import TensorShapeProto
from tensorboard.plugins.text.plugin_data_pb2 import TextPluginData

from ..._tensor import Tensor

__all__ = ["make_np", "scalar", "histogram", "histogram_raw", "image", "text", "hparams",
           "default_bins"]


def make_np(x) -> np.ndarray:
    """A numpy array of x: a dpt Tensor (detached, on the CPU), an array or a Python number."""
    if isinstance(x, np.ndarray):
        return x
    if isinstance(x, Tensor):
        return x.detach().cpu().numpy()
    if np.isscalar(x):
        return np.array([x])
    raise NotImplementedError(f"Got {type(x)}, but numpy array or dpt tensor are expected.")


def scalar(name: str, value, new_style: bool = False, double_precision: bool = False) -> Summary:
    """One value: as ``simple_value`` (the classic layout) or, new_style, as a tensor
    tagged for the scalars plugin (float32, or float64 with double_precision)."""
    arr = make_np(value).squeeze()
    if arr.ndim != 0:
        raise AssertionError(f"Tensor should contain one element (0 dimensions). Was given "
                             f"size: {arr.size} and {arr.ndim} dimensions.")
    v = float(arr)
    if not new_style:
        return Summary(value=[Summary.Value(tag=name, simple_value=v)])
    proto = TensorProto(double_val=[v], dtype="DT_DOUBLE") if double_precision else \
        TensorProto(float_val=[v], dtype="DT_FLOAT")
    meta = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name="scalars"))
    return Summary(value=[Summary.Value(tag=name, tensor=proto, metadata=meta)])


def default_bins() -> list:
    """TensorFlow's histogram buckets: +-1e-12 growing by 10% up to 1e20, and 0."""
    pos = []
    v = 1e-12
    while v < 1e20:
        pos.append(v)
        v *= 1.1
    return [-b for b in reversed(pos)] + [0.0] + pos


def histogram_raw(name, min, max, num, sum, sum_squares, bucket_limits, bucket_counts):
    """A histogram from its precomputed statistics (bucket_limits: each bucket's upper edge)."""
    hist = HistogramProto(min=min, max=max, num=num, sum=sum, sum_squares=sum_squares,
                          bucket_limit=bucket_limits, bucket=bucket_counts)
    return Summary(value=[Summary.Value(tag=name, histo=hist)])


def histogram(name: str, values, bins, max_bins=None) -> Summary:
    """A histogram of values; bins as numpy.histogram takes them (a count, edges or a rule)."""
    values = make_np(values).astype(float).reshape(-1)
    if values.size == 0:
        raise ValueError("The input has no element.")
    counts, limits = np.histogram(values, bins=bins)
    if max_bins is not None and len(counts) > max_bins:  # merge neighbours, keep the ends
        group = len(counts) // max_bins
        counts = np.pad(counts, (0, -len(counts) % group)).reshape(-1, group).sum(axis=1)
        limits = np.concatenate([limits[:-1:group], limits[-1:]])
    # TensorBoard stores each bucket's right edge only: keep the occupied span plus one
    # empty bucket on its left, whose right edge is the span's left edge.
    occupied = np.nonzero(counts)[0]
    if occupied.size == 0:
        raise ValueError(f"add_histogram: none of the values of '{name}' falls inside the bins")
    first, last = int(occupied[0]), int(occupied[-1]) + 1
    if first > 0:
        counts, limits = counts[first - 1:last], limits[first:last + 1]
    else:
        counts, limits = np.concatenate([[0], counts[:last]]), limits[:last + 1]
    return histogram_raw(name, float(values.min()), float(values.max()), len(values),
                         float(values.sum()), float(values.dot(values)), limits.tolist(),
                         counts.tolist())


def _to_hwc(img: np.ndarray, dataformats: str) -> np.ndarray:
    """The image as height x width x 3 (or 4) channels; gray images get three equal ones."""
    fmt = dataformats.upper()
    if len(set(fmt)) != len(fmt) or set(fmt) - set("CHW") or len(fmt) < 2 or \
            (len(fmt) == 2 and "C" in fmt):
        raise ValueError(f"add_image: dataformats must be a permutation of CHW or HW, got "
                         f"'{dataformats}'")
    if img.ndim != len(fmt):
        raise ValueError(f"add_image: an image of shape {list(img.shape)} does not match "
                         f"dataformats '{dataformats}'")
    if len(fmt) == 2:
        img = img.transpose([fmt.index(c) for c in "HW"])[:, :, None]
    else:
        img = img.transpose([fmt.index(c) for c in "HWC"])
    if img.shape[2] == 1:
        img = np.repeat(img, 3, axis=2)
    if img.shape[2] not in (3, 4):
        raise ValueError(f"add_image: an image needs 1, 3 or 4 channels, got {img.shape[2]}")
    return img


def _png(img: np.ndarray) -> bytes:
    """An 8-bit RGB/RGBA PNG: every row with filter 0, one zlib stream."""
    h, w, c = img.shape
    rows = np.concatenate([np.zeros((h, 1), np.uint8), img.reshape(h, w * c)], axis=1)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", w, h, 8, 2 if c == 3 else 6, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(rows.tobytes())) + chunk(b"IEND", b""))


def image(tag: str, img, dataformats: str = "CHW") -> Summary:
    """One image, PNG-encoded. uint8 values are used as they are; any other dtype is taken as
    [0, 1] and scaled by 255; both are clipped to [0, 255]."""
    arr = make_np(img)
    scale = 1 if arr.dtype == np.uint8 else 255
    hwc = _to_hwc(arr, dataformats)
    hwc = (hwc.astype(np.float32) * scale).clip(0, 255).astype(np.uint8)
    h, w, c = hwc.shape
    encoded = Summary.Image(height=h, width=w, colorspace=c, encoded_image_string=_png(hwc))
    return Summary(value=[Summary.Value(tag=tag, image=encoded)])


def text(tag: str, text_string: str) -> Summary:
    """A string for the text plugin (shown as markdown), tagged ``tag/text_summary``."""
    meta = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(
        plugin_name="text", content=TextPluginData(version=0).SerializeToString()))
    proto = TensorProto(dtype="DT_STRING", string_val=[text_string.encode("utf-8")],
                        tensor_shape=TensorShapeProto(dim=[TensorShapeProto.Dim(size=1)]))
    return Summary(value=[Summary.Value(tag=tag + "/text_summary", metadata=meta,
                                        tensor=proto)])


def hparams(hparam_dict: dict, metric_dict: dict, hparam_domain_discrete=None):
    """The hparams plugin's three summaries: (experiment, session start, session end)."""
    from tensorboard.plugins.hparams import metadata
    from tensorboard.plugins.hparams.api_pb2 import (DataType, Experiment, HParamInfo,
                                                     MetricInfo, MetricName, Status)
    from tensorboard.plugins.hparams.plugin_data_pb2 import (HParamsPluginData,
                                                             SessionEndInfo, SessionStartInfo)

    domains = hparam_domain_discrete or {}
    if not isinstance(domains, dict):
        raise TypeError("parameter: hparam_domain_discrete should be a dictionary, nothing "
                        "logged.")
    for k, v in domains.items():
        if k not in hparam_dict or not isinstance(v, list) or \
                not all(isinstance(d, type(hparam_dict[k])) for d in v):
            raise TypeError(f"parameter: hparam_domain_discrete[{k}] should be a list of same "
                            f"type as hparam_dict[{k}].")
    start = SessionStartInfo()
    infos = []
    for k, v in hparam_dict.items():
        if v is None:
            continue
        if isinstance(v, Tensor):
            v = float(make_np(v).reshape(-1)[0])
        if isinstance(v, bool):
            start.hparams[k].bool_value, kind, field = v, "DATA_TYPE_BOOL", "bool_value"
        elif isinstance(v, (int, float)):
            start.hparams[k].number_value, kind, field = v, "DATA_TYPE_FLOAT64", "number_value"
        elif isinstance(v, str):
            start.hparams[k].string_value, kind, field = v, "DATA_TYPE_STRING", "string_value"
        else:
            raise ValueError("value should be one of int, float, str, bool, or dpt.Tensor")
        domain = struct_pb2.ListValue(values=[struct_pb2.Value(**{field: d})
                                              for d in domains[k]]) if k in domains else None
        infos.append(HParamInfo(name=k, type=DataType.Value(kind), domain_discrete=domain))

    def wrap(tag, **content):
        data = HParamsPluginData(version=metadata.PLUGIN_DATA_VERSION, **content)
        meta = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(
            plugin_name=metadata.PLUGIN_NAME, content=data.SerializeToString()))
        return Summary(value=[Summary.Value(tag=tag, metadata=meta)])

    experiment = Experiment(hparam_infos=infos,
                            metric_infos=[MetricInfo(name=MetricName(tag=k)) for k in metric_dict])
    return (wrap(metadata.EXPERIMENT_TAG, experiment=experiment),
            wrap(metadata.SESSION_START_INFO_TAG, session_start_info=start),
            wrap(metadata.SESSION_END_INFO_TAG,
                 session_end_info=SessionEndInfo(status=Status.Value("STATUS_SUCCESS"))))
