# CPU backend: filled in by the CPU-backend work.
