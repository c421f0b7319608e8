"""Topics for benchmarks/ranking.py, written down by reading the 183 papers of the four dumps in
../shared/dumps (titles, and abstracts where a title left it open), beside the three of
tests/newsletter/ranking_topics.py: every paper of the dumps on each topic. A paper may be on no
topic (a few stand alone); only two are on two (joint quantization and architecture search, in
both "quantization" and "nas")."""

from tests.newsletter.ranking_topics import TOPICS as TEST_TOPICS

# Hardware accelerators for neural networks and hardware-software co-design.
ACCELERATORS = """A Hardware-Aware System for Accelerating Deep Neural Network Optimization
AccLLM: Accelerating Long-Context LLM Inference Via Algorithm-Hardware Co-Design
Algorithm-hardware Co-design for Deformable Convolution
ArchGym: An Open-Source Gymnasium for Machine Learning Assisted Architecture Design
Characterizing Soft-Error Resiliency in Arm's Ethos-U55 Embedded Machine Learning Accelerator
CoDeNet: Efficient Deployment of Input-Adaptive Object Detection on Embedded FPGAs
Combined Scheduling, Memory Allocation and Tensor Replacement for Minimizing Off-Chip Data Accesses of DNN Accelerators
DRACO: Co-Optimizing Hardware Utilization, and Performance of DNNs on Systolic Accelerator
FlightLLM: Efficient Large Language Model Inference with a Complete Mapping Flow on FPGAs
FuseMax: Leveraging Extended Einsums to Optimize Attention Accelerator Design
Hardware Co-Design Scaling Laws via Roofline Modelling for On-Device LLMs
Hardwired-Neurons Language Processing Units as General-Purpose Cognitive Substrates
InTAR: Inter-Task Auto-Reconfigurable Accelerator Design for High Data Volume Variation in DNNs
Multi-Agent Reinforcement Learning for Microprocessor Design Space Exploration
PIM-GPT: A Hybrid Process-in-Memory Accelerator for Autoregressive Transformers
SkipOPU: An FPGA-based Overlay Processor for Large Language Models with Dynamically Allocated Computation
UbiMoE: A Ubiquitous Mixture-of-Experts Vision Transformer Accelerator With Hybrid Computation Pattern on FPGA""".splitlines()

# GPUs and their kernels: architecture, performance, writing and generating kernels.
GPU_KERNELS = """Analyzing Modern NVIDIA GPU cores
Benchmarking and Dissecting the Nvidia Hopper GPU Architecture
Evaluation of OpenAI Codex for HPC Parallel Programming Models Kernel Generation
FlashDecoding++: Faster Large Language Model Inference on GPUs
FlashRNN: Optimizing Traditional RNNs on Modern Hardware
GPU Forecasters: Language Models as Selective Surrogates for Kernel Runtime Optimization
HipKittens: Fast and Furious AMD Kernels
KernelCraft: Benchmarking for Agentic Close-to-Metal Kernel Generation on Emerging Hardware
KernelFoundry: Hardware-aware evolutionary GPU kernel optimization
MultiKernelBench: A Multi-Platform Benchmark for Kernel Generation
PIGEON: Optimizing CUDA Code Generator for End-to-End Training and Inference of Relational Graph Neural Networks
TEMPI: An Interposed MPI Library with a Canonical Representation of CUDA-aware Datatypes
Towards Automated Kernel Generation in the Era of LLMs
ZeRO-Infinity: Breaking the GPU Memory Wall for Extreme Scale Deep Learning""".splitlines()

# Code: generating it with language models, translating it, compiling it.
CODE = """ComPile: A Large IR Dataset from Production Sources
Compiling C to Safe Rust, Formalized
EpiCoder: Encompassing Diversity and Complexity in Code Generation
Evaluating Language Models for Efficient Code Generation
Guaranteed Guess: A Language Modeling Approach for CISC-to-RISC Transpilation with Testing Guarantees
Guess & Sketch: Language Model Guided Transpilation
Scope is all you need: Transforming LLMs for HPC Code
WaveCoder: Widespread And Versatile Enhanced Instruction Tuning with Refined Data Generation
ML-driven Hardware Cost Model for MLIR
Closing the Performance Gap with Modern C++
High-performance symbolic-numerics via multiple dispatch
Flexible Non-intrusive Dynamic Instrumentation for WebAssembly""".splitlines()

# Machine learning for circuits and electronic design automation (not LLMs writing HDL).
CIRCUITS = """AnalogGenie: A Generative Engine for Automatic Discovery of Analog Circuit Topologies
Circuit Representation Learning with Masked Gate Modeling and Verilog-AIG Alignment
INSIGHT: Universal Neural Simulator for Analog Circuits Harnessing Autoregressive Transformers
Learning to Design Circuits
PreRoutGNN for Timing Prediction with Order Preserving Partition: Global Circuit Pre-training, Local Delay Learning and Attentional Cell Modeling
Retrieval-Guided Reinforcement Learning for Boolean Circuit Minimization
Transferable Parasitic Estimation via Graph Contrastive Learning and Label Rebalancing in AMS Circuits
wa-hls4ml: A Benchmark and Surrogate Models for hls4ml Resource and Latency Estimation
MABFuzz: Multi-Armed Bandit Algorithms for Fuzzing Processors""".splitlines()

# Efficient language models: inference, mixtures of experts, small and looped models.
EFFICIENT_LLMS = """A Survey on Inference Optimization Techniques for Mixture of Experts Models
A Theoretical Framework for Auxiliary-Loss-Free Load Balancing of Sparse Mixture-of-Experts in Large-Scale AI Models
Characterizing State Space Model (SSM) and SSM-Transformer Hybrid Language Model Performance with Long Context Length
Cheaply Evaluating Inference Efficiency Metrics for Autoregressive Transformer APIs
Efficient Inference of Vision Instruction-Following Models with Elastic Cache
EfficientLLM: Efficiency in Large Language Models
LFM2 Technical Report
LLM Inference Unveiled: Survey and Roofline Model Insights
LoopMoE: Unifying Iterative Computation with Mixture-of-Experts for Language Modeling
MELTing point: Mobile Evaluation of Language Transformers
MoE-Lens: Towards the Hardware Limit of High-Throughput MoE LLM Serving Under Resource Constraints
New Solutions on LLM Acceleration, Optimization, and Application
Parcae: Scaling Laws For Stable Looped Language Models
Scalable MatMul-free Language Modeling
SmallThinker: A Family of Efficient Large Language Models Natively Trained for Local Deployment
WINA: Weight Informed Neuron Activation for Accelerating Large Language Model Inference""".splitlines()

# 3D vision, rendering and scene representations.
VISION_3D = """Bridging 3D Gaussian and Mesh for Freeview Video Rendering
Deep Implicit Surface Point Prediction Networks
Differentiable Blocks World: Qualitative 3D Decomposition by Rendering Primitives
Efficient Encoding of Graphics Primitives with Simplex-based Structures
Urban Radiance Field Representation with Deformable Neural Mesh Primitives
Symbol as Points: Panoptic Symbol Spotting via Point-based Representation
Enhancing Online Road Network Perception and Reasoning with Standard Definition Maps
Model-Based Image Signal Processors via Learnable Dictionaries
Event-based Feature Extraction Using Adaptive Selection Thresholds""".splitlines()

TOPICS = {
    **TEST_TOPICS,
    "accelerators": ACCELERATORS,
    "gpu-kernels": GPU_KERNELS,
    "code": CODE,
    "circuits": CIRCUITS,
    "efficient-llms": EFFICIENT_LLMS,
    "3d-vision": VISION_3D,
}

# Re-read: the lists above put each paper under one topic, yet some papers are squarely on a second
# (FlightLLM runs a language model on an FPGA: accelerators, and efficient language models). Every
# paper of the dumps was read again against each rule below; a paper under one of these counts as on
# that topic too when the ranking is judged (benchmarks/ranking.py judges every case both ways).
# Libraries are drawn from the lists above only, so both judgments rank the same cases.

ALSO = {
    # a hardware design for neural networks' arithmetic (SRAM, lookup tables, bit-serial units,
    # resistive memory), or hardware co-designed with the models it runs
    "accelerators": [
        "SAIL: SRAM-Accelerated LLM Inference System with Lookup-Table-based GEMV",
        "Hardware Generation and Exploration of Lookup Table-Based Accelerators for 1.58-bit LLM Inference",
        "LUT Tensor Core: Lookup Table Enables Efficient Low-Bit LLM Inference Acceleration",
        "BitMoD: Bit-serial Mixture-of-Datatype LLM Acceleration",
        "Co-Exploration of Neural Architectures and Heterogeneous ASIC Accelerator Designs Targeting Multiple Tasks",
        "Resistive memory-based zero-shot liquid state machine for multimodal event data learning",
        "Insights into DeepSeek-V3: Scaling Challenges and Reflections on Hardware for AI Architectures",
    ],
    # a system or a piece of hardware whose subject is running language models faster or
    # cheaper (inference on FPGAs, GPUs, CPUs, in memory), or a family of small models
    "efficient-llms": [
        "AccLLM: Accelerating Long-Context LLM Inference Via Algorithm-Hardware Co-Design",
        "FlightLLM: Efficient Large Language Model Inference with a Complete Mapping Flow on FPGAs",
        "SkipOPU: An FPGA-based Overlay Processor for Large Language Models with Dynamically Allocated Computation",
        "PIM-GPT: A Hybrid Process-in-Memory Accelerator for Autoregressive Transformers",
        "Hardwired-Neurons Language Processing Units as General-Purpose Cognitive Substrates",
        "Hardware Co-Design Scaling Laws via Roofline Modelling for On-Device LLMs",
        "FlashDecoding++: Faster Large Language Model Inference on GPUs",
        "SAIL: SRAM-Accelerated LLM Inference System with Lookup-Table-based GEMV",
        "T-MAC: CPU Renaissance via Table Lookup for Low-Bit LLM Deployment on Edge",
        "LUT Tensor Core: Lookup Table Enables Efficient Low-Bit LLM Inference Acceleration",
        "Enabling Fast 2-bit LLM on GPUs: Memory Alignment and Asynchronous Dequantization",
        "Hardware Generation and Exploration of Lookup Table-Based Accelerators for 1.58-bit LLM Inference",
        "Insights into DeepSeek-V3: Scaling Challenges and Reflections on Hardware for AI Architectures",
        "OpenBezoar: Small, Cost-Effective and Open Models Trained on Mixes of Instruction Data",
        "BitMoD: Bit-serial Mixture-of-Datatype LLM Acceleration",
        "Efficient Arbitrary Precision Acceleration for Large Language Models on GPU Tensor Cores",
    ],
    # GPU kernels for a model's arithmetic (tensor cores, dequantization)
    "gpu-kernels": [
        "Efficient Arbitrary Precision Acceleration for Large Language Models on GPU Tensor Cores",
        "Enabling Fast 2-bit LLM on GPUs: Memory Alignment and Asynchronous Dequantization",
    ],
    # language models or compilers generating program code, kernels included
    "code": [
        "Evaluation of OpenAI Codex for HPC Parallel Programming Models Kernel Generation",
        "KernelCraft: Benchmarking for Agentic Close-to-Metal Kernel Generation on Emerging Hardware",
        "MultiKernelBench: A Multi-Platform Benchmark for Kernel Generation",
        "Towards Automated Kernel Generation in the Era of LLMs",
        "PIGEON: Optimizing CUDA Code Generator for End-to-End Training and Inference of Relational Graph Neural Networks",
        "Proof2Silicon: Prompt Repair for Verified Code and Hardware Generation via Reinforcement Learning",
        "EmbedAgent: Benchmarking Large Language Models in Embedded System Development",
    ],
    # language models or learning applied to designing, simulating or understanding circuits and
    # processors (beyond writing HDL)
    "circuits": [
        "AnalogSeeker: An Open-source Foundation Language Model for Analog Circuit Design",
        "CircuitSense: A Hierarchical Circuit System Benchmark Bridging Visual Comprehension and Symbolic Reasoning in Engineering Design Process",
        "MMCircuitEval: A Comprehensive Multimodal Circuit-Focused Benchmark for Evaluating LLMs",
        "D2S-FLOW: Automated Parameter Extraction from Datasheets for SPICE Model Generation Using Large Language Models",
        "Multi-Agent Reinforcement Learning for Microprocessor Design Space Exploration",
        "ArchGym: An Open-Source Gymnasium for Machine Learning Assisted Architecture Design",
    ],
}
