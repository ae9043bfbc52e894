"""Per-evaluation helpers on every backend: precision policies and out-of-memory detection."""
from __future__ import annotations

import pytest

from evodeap.errors import ConfigError
from evodeap.fitness.keras_fitness import KerasFitness
from evodeap.fitness.runtime import is_out_of_memory, precision_policy, precision_policy_name
from fitness_fixtures import tiny_bundle


def test_precision_settings_name_keras_policies_and_bad_ones_are_refused():
    assert [precision_policy_name(v) for v in (False, True, "float16", "bfloat16")] == [
        "float32", "mixed_float16", "mixed_float16", "mixed_bfloat16"]
    for bad in (1, 0, "half", None, ["float16"]):
        with pytest.raises(ConfigError, match="mixed_precision must be"):
            precision_policy_name(bad)
    with pytest.raises(ConfigError, match="mixed_precision must be"):
        KerasFitness(tiny_bundle(), mixed_precision="fp8")


def test_precision_policy_is_restored_after_the_block():
    import keras

    before = keras.config.dtype_policy().name
    with precision_policy("bfloat16"):
        assert keras.config.dtype_policy().name == "mixed_bfloat16"
    assert keras.config.dtype_policy().name == before


def test_out_of_memory_of_every_backend_is_recognised():
    class OutOfMemoryError(RuntimeError):  # torch.cuda.OutOfMemoryError's name
        pass

    assert is_out_of_memory(OutOfMemoryError("CUDA error"))
    assert is_out_of_memory(RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB"))
    assert is_out_of_memory(RuntimeError("RESOURCE_EXHAUSTED: Out of memory while trying to allocate"))
    assert is_out_of_memory(MemoryError())
    assert not is_out_of_memory(ValueError("shapes do not match"))
