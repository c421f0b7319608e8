"""Topics for the ranking test, written down by reading the 183 titles of the four dumps in
../shared/dumps (and their abstracts where a title left it open): every paper on the topic. And
the library file a reader of those cases imports (`library_csv`), for the test and
benchmarks/ranking.py alike."""

import csv
import io


def library_csv(titles) -> str:
    """A Zotero-style CSV export naming these papers by title."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Key", "Item Type", "Title"])
    for n, title in enumerate(titles):
        writer.writerow([f"K{n}", "journalArticle", title])
    return out.getvalue()


# LLMs for hardware design: HDL/RTL code, its verification, circuit design with LLMs.
HDL = """ASIC-Agent: An Autonomous Multi-Agent System for ASIC Design with Benchmark Evaluation
AssertionBench: A Benchmark to Evaluate Large-Language Models for Assertion Generation
ChipSeek-R1: Generating Human-Surpassing RTL with LLM via Hierarchical Reward-Driven Reinforcement Learning
CodeV-R1: Reasoning-Enhanced Verilog Generation
ComplexVCoder: An LLM-Driven Framework for Systematic Generation of Complex Verilog Code
Customizing a Large Language Model for VHDL Design of High-Performance Microprocessors
EARL: Entropy-Aware RL Alignment of LLMs for Reliable RTL Code Generation
GRPO with State Mutations: Improving LLM-Based Hardware Test Plan Generation
HDLxGraph: Bridging Large Language Models and HDL Repositories via HDL Graph Databases
HWE-Bench: Benchmarking LLM Agents on Real-World Hardware Bug Repair Tasks
ITERTL: An Iterative Framework for Fine-tuning LLMs for RTL Code Generation
Insights from Verification: Training a Verilog Generation LLM with Reinforcement Learning with Testbench Feedback
MG-Verilog: Multi-grained Dataset Towards Enhanced LLM-assisted Verilog Generation
OriGen:Enhancing RTL Code Generation with Code-to-Code Augmentation and Self-Reflection
Proof2Silicon: Prompt Repair for Verified Code and Hardware Generation via Reinforcement Learning
RTL++: Graph-enhanced LLM for RTL Code Generation
RTLRepoCoder: Repository-Level RTL Code Completion through the Combination of Fine-Tuning and Retrieval Augmentation
Revisiting VerilogEval: Newer LLMs, In-Context Learning, and Specification-to-RTL Tasks
SAGE-HLS: Syntax-Aware AST-Guided LLM for High-Level Synthesis Code Generation
SymRTLO: Enhancing RTL Code Optimization with LLMs and Neuron-Inspired Symbolic Reasoning
Towards LLM-Powered Verilog RTL Assistant: Self-Verification and Self-Correction
TuRTLe: A Unified Evaluation of LLMs for RTL Generation
VERIRL: Boosting the LLM-based Verilog Code Generation via Reinforcement Learning
VeriReason: Reinforcement Learning with Testbench Feedback for Reasoning-Enhanced Verilog Generation
ViTAD: Timing Violation-Aware Debugging of RTL Code using Large Language Models
AnalogSeeker: An Open-source Foundation Language Model for Analog Circuit Design
D2S-FLOW: Automated Parameter Extraction from Datasheets for SPICE Model Generation Using Large Language Models
LLMPirate: LLMs for Black-box Hardware IP Piracy
MMCircuitEval: A Comprehensive Multimodal Circuit-Focused Benchmark for Evaluating LLMs
CircuitSense: A Hierarchical Circuit System Benchmark Bridging Visual Comprehension and Symbolic Reasoning in Engineering Design Process
EmbedAgent: Benchmarking Large Language Models in Embedded System Development"""
# Quantization and low-precision number formats for neural networks.
QUANT = """"Give Me BF16 or Give Me Death"? Accuracy-Performance Trade-Offs in LLM Quantization
A Survey of Quantization Methods for Efficient Neural Network Inference
APQ: Joint Search for Network Architecture, Pruning and Quantization Policy
AWQ: Activation-aware Weight Quantization for LLM Compression and Acceleration
Accurate Block Quantization in LLMs with Outliers
Agile-Quant: Activation-Guided Quantization for Faster Inference of LLMs on the Edge
BitMoD: Bit-serial Mixture-of-Datatype LLM Acceleration
DiscQuant: A Quantization Method for Neural Networks Inspired by Discrepancy Theory
Efficient Arbitrary Precision Acceleration for Large Language Models on GPU Tensor Cores
Enabling Fast 2-bit LLM on GPUs: Memory Alignment and Asynchronous Dequantization
HAWQV3: Dyadic Neural Network Quantization
Hardware Generation and Exploration of Lookup Table-Based Accelerators for 1.58-bit LLM Inference
INT v.s. FP: A Comprehensive Study of Fine-Grained Low-bit Quantization Formats
INT2.1: Towards Fine-Tunable Quantized Large Language Models with Error Correction through Low-Rank Adaptation
LLM-FP4: 4-Bit Floating-Point Quantized Transformers
LLM.int8(): 8-bit Matrix Multiplication for Transformers at Scale
LUT Tensor Core: Lookup Table Enables Efficient Low-Bit LLM Inference Acceleration
Low-Bitwidth Floating Point Quantization for Efficient High-Quality Diffusion Models
NUPES : Non-Uniform Post-Training Quantization via Power Exponent Search
OHQ: On-chip Hardware-aware Quantization
Oscillation-free Quantization for Low-bit Vision Transformers
OutlierTune: Efficient Channel-Wise Quantization for Large Language Models
Post-Training Quantization with Low-precision Minifloats and Integers on FPGAs
Quantizing deep convolutional networks for efficient inference: A whitepaper
QuartDepth: Post-Training Quantization for Real-Time Depth Estimation on the Edge
Reduced Precision Floating-Point Optimization for Deep Neural Network On-Device Learning on MicroControllers
Revisiting the Parameter Efficiency of Adapters from the Perspective of Precision Redundancy
Scaling Laws for Floating Point Quantization Training
SimQ-NAS: Simultaneous Quantization Policy and Neural Architecture Search
T-MAC: CPU Renaissance via Table Lookup for Low-Bit LLM Deployment on Edge
To FP8 and Back Again: Quantifying the Effects of Reducing Precision on LLM Training Stability
Trainable Fixed-Point Quantization for Deep Learning Acceleration on FPGAs
Value-Driven Mixed-Precision Quantization for Patch-Based Inference on Microcontrollers
ZeroQuant(4+2): Redefining LLMs Quantization with a New FP6-Centric Strategy for Diverse Generative Tasks
ZeroQuant-FP: A Leap Forward in LLMs Post-Training W4A8 Quantization Using Floating-Point Formats
SAIL: SRAM-Accelerated LLM Inference System with Lookup-Table-based GEMV"""
# Neural architecture search and automated architecture design.
NAS = """A Comprehensive Survey on Hardware-Aware Neural Architecture Search
APQ: Joint Search for Network Architecture, Pruning and Quantization Policy
AlphaGo Moment for Model Architecture Discovery
Co-Exploration of Neural Architectures and Heterogeneous ASIC Accelerator Designs Targeting Multiple Tasks
Efficient Architecture Search by Network Transformation
Enhancing LLM-Based Neural Network Generation: Few-Shot Prompting and Efficient Validation for Automated Architecture Design
FBNetV3: Joint Architecture-Recipe Search using Predictor Pretraining
HELP: Hardware-Adaptive Efficient Latency Prediction for NAS via Meta-Learning
InstaTune: Instantaneous Neural Architecture Search During Fine-Tuning
PC-DARTS: Partial Channel Connections for Memory-Efficient Architecture Search
Quantum Architecture Search with Unsupervised Representation Learning
SimQ-NAS: Simultaneous Quantization Policy and Neural Architecture Search
Weight-Entanglement Meets Gradient-Based Neural Architecture Search
einspace: Searching for Neural Architectures from Fundamental Operations
sharpDARTS: Faster and More Accurate Differentiable Architecture Search
Unified Functional Hashing in Automatic Machine Learning"""


TOPICS = {
    name: value.strip().split("\n")
    for name, value in {"hdl": HDL, "quantization": QUANT, "nas": NAS}.items()
}
