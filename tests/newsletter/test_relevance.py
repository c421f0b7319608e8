"""Relevance over the four real dumps: for rules of our choosing, the papers a careful reader
must get, written down by reading the dumps' titles and abstracts (not by running the matcher).
Every rule must find exactly those: precision 1.0 and recall 1.0, through the signup preview's
selector and through the matcher that builds digests."""

import pytest

from core.query import document, parse
from newsletter.matcher import Matcher
from newsletter.selectors import papers_matching
from papers.models import Paper
from papers.services import source_ingest

pytestmark = pytest.mark.django_db

EXPECTED = {
    # Every paper that names FPGAs, in the singular or only in the plural ("FPGAs").
    "fpga": {
        "AccLLM: Accelerating Long-Context LLM Inference Via Algorithm-Hardware Co-Design",
        "Algorithm-hardware Co-design for Deformable Convolution",
        "Co-Exploration of Neural Architectures and Heterogeneous ASIC Accelerator Designs "
        "Targeting Multiple Tasks",
        "CoDeNet: Efficient Deployment of Input-Adaptive Object Detection on Embedded FPGAs",
        "DNN is not all you need: Parallelizing Non-Neural ML Algorithms on Ultra-Low-Power IoT "
        "Processors",
        "FlightLLM: Efficient Large Language Model Inference with a Complete Mapping Flow on FPGAs",
        "InTAR: Inter-Task Auto-Reconfigurable Accelerator Design for High Data Volume "
        "Variation in DNNs",
        "Post-Training Quantization with Low-precision Minifloats and Integers on FPGAs",
        "Scalable MatMul-free Language Modeling",
        "SkipOPU: An FPGA-based Overlay Processor for Large Language Models with Dynamically "
        "Allocated Computation",
        "Trainable Fixed-Point Quantization for Deep Learning Acceleration on FPGAs",
        "UbiMoE: A Ubiquitous Mixture-of-Experts Vision Transformer Accelerator With Hybrid "
        "Computation Pattern on FPGA",
        "wa-hls4ml: A Benchmark and Surrogate Models for hls4ml Resource and Latency Estimation",
    },
    # The word Verilog (also in "MG-Verilog", "Verilog-AIG", "Verilog-to-C") or RTL.
    "verilog OR rtl": {
        "ASIC-Agent: An Autonomous Multi-Agent System for ASIC Design with Benchmark Evaluation",
        "AssertionBench: A Benchmark to Evaluate Large-Language Models for Assertion Generation",
        "Characterizing Soft-Error Resiliency in Arm's Ethos-U55 Embedded Machine Learning "
        "Accelerator",
        "ChipSeek-R1: Generating Human-Surpassing RTL with LLM via Hierarchical Reward-Driven "
        "Reinforcement Learning",
        "Circuit Representation Learning with Masked Gate Modeling and Verilog-AIG Alignment",
        "CodeV-R1: Reasoning-Enhanced Verilog Generation",
        "ComplexVCoder: An LLM-Driven Framework for Systematic Generation of Complex Verilog Code",
        "Customizing a Large Language Model for VHDL Design of High-Performance Microprocessors",
        "EARL: Entropy-Aware RL Alignment of LLMs for Reliable RTL Code Generation",
        "GRPO with State Mutations: Improving LLM-Based Hardware Test Plan Generation",
        "HWE-Bench: Benchmarking LLM Agents on Real-World Hardware Bug Repair Tasks",
        "ITERTL: An Iterative Framework for Fine-tuning LLMs for RTL Code Generation",
        "Insights from Verification: Training a Verilog Generation LLM with Reinforcement "
        "Learning with Testbench Feedback",
        "MG-Verilog: Multi-grained Dataset Towards Enhanced LLM-assisted Verilog Generation",
        "OriGen:Enhancing RTL Code Generation with Code-to-Code Augmentation and Self-Reflection",
        "Proof2Silicon: Prompt Repair for Verified Code and Hardware Generation via "
        "Reinforcement Learning",
        "RTL++: Graph-enhanced LLM for RTL Code Generation",
        "RTLRepoCoder: Repository-Level RTL Code Completion through the Combination of "
        "Fine-Tuning and Retrieval Augmentation",
        "Retrieval-Guided Reinforcement Learning for Boolean Circuit Minimization",
        "Revisiting VerilogEval: Newer LLMs, In-Context Learning, and Specification-to-RTL Tasks",
        "SAGE-HLS: Syntax-Aware AST-Guided LLM for High-Level Synthesis Code Generation",
        "SymRTLO: Enhancing RTL Code Optimization with LLMs and Neuron-Inspired Symbolic Reasoning",
        "Towards LLM-Powered Verilog RTL Assistant: Self-Verification and Self-Correction",
        "TuRTLe: A Unified Evaluation of LLMs for RTL Generation",
        "VERIRL: Boosting the LLM-based Verilog Code Generation via Reinforcement Learning",
        "VeriReason: Reinforcement Learning with Testbench Feedback for Reasoning-Enhanced "
        "Verilog Generation",
        "ViTAD: Timing Violation-Aware Debugging of RTL Code using Large Language Models",
    },
    # Written the British way and with a hyphen: "post-training quantization", in any case.
    '"post-training quantisation"': {
        "QuartDepth: Post-Training Quantization for Real-Time Depth Estimation on the Edge",
        "Quantizing deep convolutional networks for efficient inference: A whitepaper",
        "Post-Training Quantization with Low-precision Minifloats and Integers on FPGAs",
        "NUPES : Non-Uniform Post-Training Quantization via Power Exponent Search",
        "LLM-FP4: 4-Bit Floating-Point Quantized Transformers",
        "Trainable Fixed-Point Quantization for Deep Learning Acceleration on FPGAs",
        "Low-Bitwidth Floating Point Quantization for Efficient High-Quality Diffusion Models",
        "OutlierTune: Efficient Channel-Wise Quantization for Large Language Models",
    },
    # "4-bit", "4-Bit" and "4 bits".
    "4-bit": {
        "HAWQV3: Dyadic Neural Network Quantization",
        "INT v.s. FP: A Comprehensive Study of Fine-Grained Low-bit Quantization Formats",
        "QuartDepth: Post-Training Quantization for Real-Time Depth Estimation on the Edge",
        "Agile-Quant: Activation-Guided Quantization for Faster Inference of LLMs on the Edge",
        "AccLLM: Accelerating Long-Context LLM Inference Via Algorithm-Hardware Co-Design",
        "ZeroQuant(4+2): Redefining LLMs Quantization with a New FP6-Centric Strategy for "
        "Diverse Generative Tasks",
        "BitMoD: Bit-serial Mixture-of-Datatype LLM Acceleration",
        "LLM-FP4: 4-Bit Floating-Point Quantized Transformers",
        "Low-Bitwidth Floating Point Quantization for Efficient High-Quality Diffusion Models",
        "CoDeNet: Efficient Deployment of Input-Adaptive Object Detection on Embedded FPGAs",
        "Enabling Fast 2-bit LLM on GPUs: Memory Alignment and Asynchronous Dequantization",
        "AWQ: Activation-aware Weight Quantization for LLM Compression and Acceleration",
    },
    # "Mixture of Experts", "Mixture-of-Experts", and "Mixture-of-Expert" in one survey.
    '"mixture of experts"': {
        "LLM Inference Unveiled: Survey and Roofline Model Insights",
        "Insights into DeepSeek-V3: Scaling Challenges and Reflections on Hardware for AI "
        "Architectures",
        "SmallThinker: A Family of Efficient Large Language Models Natively Trained for Local "
        "Deployment",
        "A Survey on Inference Optimization Techniques for Mixture of Experts Models",
        "Training Foundation Models on a Full-Stack AMD Platform: Compute, Networking, and "
        "System Design",
        "EfficientLLM: Efficiency in Large Language Models",
        "MoE-Lens: Towards the Hardware Limit of High-Throughput MoE LLM Serving Under Resource "
        "Constraints",
        "LFM2 Technical Report",
        "UbiMoE: A Ubiquitous Mixture-of-Experts Vision Transformer Accelerator With Hybrid "
        "Computation Pattern on FPGA",
        "LoopMoE: Unifying Iterative Computation with Mixture-of-Experts for Language Modeling",
        "A Theoretical Framework for Auxiliary-Loss-Free Load Balancing of Sparse "
        "Mixture-of-Experts in Large-Scale AI Models",
        "WINA: Weight Informed Neuron Activation for Accelerating Large Language Model Inference",
    },
    # Organizations by handle or full name, in any case.
    "org:liquid": {"LFM2 Technical Report"},
    "org:DEEPSEEK": {
        "Insights into DeepSeek-V3: Scaling Challenges and Reflections on Hardware for AI "
        "Architectures"
    },
    'org:"patronus ai"': {
        "MEMTRACK: Evaluating Long-Term Memory and State Tracking in Multi-Platform Dynamic "
        "Agent Environments"
    },
}


@pytest.fixture
def dumps(shared):
    for path in sorted((shared / "dumps").glob("*.txt")):
        with open(path, "rb") as stream:
            assert not source_ingest(stream=stream, source=str(path), year=2026).error
    assert Paper.objects.count() == 183


@pytest.mark.parametrize("rule", list(EXPECTED))
def test_the_preview_finds_exactly_what_a_careful_reader_expects(dumps, rule):
    found = {title for _pk, title in papers_matching(parse(rule))}
    missed, extra = EXPECTED[rule] - found, found - EXPECTED[rule]
    assert not missed, f"recall below 1.0 for {rule}: missed {sorted(missed)}"
    assert not extra, f"precision below 1.0 for {rule}: also found {sorted(extra)}"


def test_the_matcher_agrees_with_the_preview(dumps):
    matcher = Matcher((rule, parse(rule)) for rule in EXPECTED)
    found = {rule: set() for rule in EXPECTED}
    rows = Paper.objects.values_list(
        "title", "abstract", "authors", "organization__handle", "organization__name"
    )
    for title, abstract, authors, handle, name in rows:
        doc = document(
            title=title, abstract=abstract, authors=authors, org=f"{handle or ''} {name or ''}"
        )
        for rule in matcher.match(doc):
            found[rule].add(title)
    assert found == EXPECTED
