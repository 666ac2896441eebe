"""The paper's Table 1 protocol in miniature on the real PyTorch-GAN scripts (``benchmarks/pytorch_gan_table1.py``)."""
