namespace NgpSharp.Imaging;

/// <summary>One image component of a JPEG frame (SOF) and its decoded DCT coefficients.</summary>
internal sealed class JpegComponent
{
    public int Id, Index, H, V, QuantTableId;

    /// <summary>Blocks covering the component's own samples: the extent of a non-interleaved scan.</summary>
    public int BlocksWide, BlocksHigh;

    /// <summary>Block grid as allocated: whole MCUs (≥ BlocksWide × BlocksHigh).</summary>
    public int Stride, Rows;

    /// <summary>[Rows·Stride·64] coefficients, natural (row-major) order within each block; null until its first scan.</summary>
    public short[]? Coefs;

    /// <summary>[64] natural order, latched at the component's first scan as libjpeg does.</summary>
    public ushort[]? Quant;

    public JpegHuffmanTable? DcTable, AcTable;
    public int DcPred;
    public bool DcSeen;
}

/// <summary>The frame header (SOF): size, process and components, with the derived MCU geometry.</summary>
internal sealed class JpegFrame
{
    public required int Width, Height;
    public required bool Progressive;
    public required JpegComponent[] Components;
    public int HMax, VMax, McusWide, McusHigh;

    public void ComputeGeometry()
    {
        HMax = Components.Max(c => c.H);
        VMax = Components.Max(c => c.V);
        McusWide = (Width + 8 * HMax - 1) / (8 * HMax);
        McusHigh = (Height + 8 * VMax - 1) / (8 * VMax);
        foreach (var c in Components)
        {
            int samplesWide = (int)(((long)Width * c.H + HMax - 1) / HMax);
            int samplesHigh = (int)(((long)Height * c.V + VMax - 1) / VMax);
            c.BlocksWide = (samplesWide + 7) / 8;
            c.BlocksHigh = (samplesHigh + 7) / 8;
            c.Stride = McusWide * c.H;
            c.Rows = McusHigh * c.V;
        }
    }
}
