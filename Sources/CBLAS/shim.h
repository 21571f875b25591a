// OpenBLAS's CBLAS interface plus its thread-count control, for InferenceCore's F32 matrix products.
#include <cblas.h>
