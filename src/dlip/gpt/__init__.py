"""A GPT-style Transformer written from scratch, one idea per module.

tokenizer   byte-level BPE (train, encode, decode, save, load)
data        token windows; train/validation split by position
attention   causal multi-head self-attention, by hand and through SDPA
model       embeddings, Transformer blocks, the GPT
config      model configuration and presets (GPT-2 124M, tiny CPU models)
train       AdamW, warmup + cosine, clipping, evaluation, checkpoints, resume
generate    greedy, temperature, top-k, top-p sampling
checkpoint  safetensors weights with a JSON config beside them
hf_gpt2     load Hugging Face GPT-2 weights
ngram       unigram and Kneser-Ney baselines in bits per byte
"""
