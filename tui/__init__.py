"""virtdeck: a keyboard-driven terminal dashboard for KVM/QEMU hosts."""

__version__ = "0.1.0"
