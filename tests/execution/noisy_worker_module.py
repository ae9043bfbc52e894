"""A module that writes to file descriptor 2 when a worker imports it, as TensorFlow and CUDA do
(only where ``EVODEAP_TEST_NOISE`` is set, so the test process itself stays quiet), and
fails to import where ``EVODEAP_TEST_BROKEN`` is set."""
import os

if os.environ.get("EVODEAP_TEST_NOISE"):
    os.write(2, b"I0000 cuda_dnn.cc:8000] start-up line of a noisy library\n")
if os.environ.get("EVODEAP_TEST_BROKEN"):
    raise ImportError("this module cannot be imported here")


def square(x):
    return x * x


def speak(x):
    os.write(2, f"evaluation {x} speaks\n".encode())
    return x
