// Column-block copies between row-major matrices with the same row count (the CUDA twin of MatrixColumns.cs):
// Composite's input slicing and output concatenation, its input-gradient sums, and the padding columns that
// Encoding.AfterForward fills. One thread per (row, column of the block).
#include "ngp_prelude.cuh"

struct MatrixColumnsArgs
{
    const float* source;       // [rows, source_cols] (unused by the fill)
    float* destination;        // [rows, destination_cols]
    ngp_u32 rows;
    ngp_u32 source_cols, source_col;
    ngp_u32 destination_cols, destination_col;
    ngp_u32 count;             // columns in the block
    float value;               // the fill value
    ngp_u32 padding;
};
NGP_ARGS_SIZE(MatrixColumnsArgs, 48);

/// True (and row, column set) when this thread has an element of the block.
NGP_DEVICE bool columns_item(const MatrixColumnsArgs& a, ngp_u64& row, ngp_u32& column)
{
    ngp_u64 i = (ngp_u64)NGP_BLOCK_X * NGP_BLOCK_DIM_X + NGP_THREAD_X;
    if (i >= (ngp_u64)a.rows * a.count) return false;
    row = i / a.count;
    column = (ngp_u32)(i % a.count);
    return true;
}

/// destination[:, destination_col + j] = source[:, source_col + j], j < count.
extern "C" __global__ void kernel_copy_columns(const MatrixColumnsArgs args)
{
    ngp_u64 row; ngp_u32 j;
    if (!columns_item(args, row, j)) return;
    args.destination[row * args.destination_cols + args.destination_col + j] = args.source[row * args.source_cols + args.source_col + j];
}

/// destination[:, destination_col + j] += source[:, source_col + j], j < count.
extern "C" __global__ void kernel_add_columns(const MatrixColumnsArgs args)
{
    ngp_u64 row; ngp_u32 j;
    if (!columns_item(args, row, j)) return;
    args.destination[row * args.destination_cols + args.destination_col + j] += args.source[row * args.source_cols + args.source_col + j];
}

/// destination[:, destination_col + j] = value, j < count.
extern "C" __global__ void kernel_fill_columns(const MatrixColumnsArgs args)
{
    ngp_u64 row; ngp_u32 j;
    if (!columns_item(args, row, j)) return;
    args.destination[row * args.destination_cols + args.destination_col + j] = args.value;
}
