using NgpSharp.Geometry;
using Xunit;

namespace NgpSharp.Tests.Geometry;

public class MortonTests
{
    [Theory]
    [InlineData(0u, 0u, 0u, 0u)]
    [InlineData(1u, 0u, 0u, 1u)]
    [InlineData(0u, 1u, 0u, 2u)]
    [InlineData(0u, 0u, 1u, 4u)]
    [InlineData(1u, 1u, 1u, 7u)]
    [InlineData(2u, 0u, 0u, 8u)]
    [InlineData(3u, 0u, 0u, 9u)]
    [InlineData(0u, 2u, 0u, 16u)]
    [InlineData(127u, 127u, 127u, (1u << 21) - 1)]
    public void Encode_KnownCodes_MatchTinyCudaNnBitOrder(uint x, uint y, uint z, uint code)
    {
        Assert.Equal(code, Morton.Encode(x, y, z));
        Morton.Decode(code, out uint dx, out uint dy, out uint dz);
        Assert.Equal((x, y, z), (dx, dy, dz));
    }

    [Fact]
    public void RoundTrip_AllCellsOf128Cubed_IsABijection()
    {
        var seen = new bool[128 * 128 * 128];
        for (uint z = 0; z < 128; z++)
            for (uint y = 0; y < 128; y++)
                for (uint x = 0; x < 128; x++)
                {
                    uint c = Morton.Encode(x, y, z);
                    Assert.True(c < seen.Length);
                    Assert.False(seen[c]);
                    seen[c] = true;
                    Morton.Decode(c, out uint dx, out uint dy, out uint dz);
                    if (dx != x || dy != y || dz != z) Assert.Fail($"({x},{y},{z}) → {c} → ({dx},{dy},{dz})");
                }
    }

    [Fact]
    public void EightConsecutiveCodes_FormOneTwoByTwoByTwoBlock()
    {
        // The byte-per-8-cells bitfield and its max-pool rely on this.
        for (uint b = 0; b < 512; b++)
        {
            Morton.Decode(8 * b, out uint x0, out uint y0, out uint z0);
            for (uint j = 0; j < 8; j++)
            {
                Morton.Decode(8 * b + j, out uint x, out uint y, out uint z);
                Assert.Equal((x0 + (j & 1), y0 + ((j >> 1) & 1), z0 + ((j >> 2) & 1)), (x, y, z));
            }
        }
    }
}
