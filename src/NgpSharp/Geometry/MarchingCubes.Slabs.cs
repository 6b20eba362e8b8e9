using System.Numerics;

namespace NgpSharp.Geometry;

public static partial class MarchingCubes
{
    /// <summary>
    /// Marches a grid fed one x-plane at a time (values [ny, nz], z fastest), holding two planes and their edge
    /// vertices: memory O(ny·nz), whatever nx. Each crossed grid edge gets exactly one vertex.
    /// </summary>
    sealed class SlabMarcher
    {
        readonly int _nx, _ny, _nz;
        readonly float _iso;
        readonly double _sx, _sy, _sz, _ox, _oy, _oz;
        float[] _lower, _upper;
        int[] _lowerY, _lowerZ, _upperY, _upperZ;
        readonly int[] _xEdges;
        readonly List<Vector3> _positions = [];
        readonly List<int> _triangles = [];
        int _planes;

        public SlabMarcher(Aabb box, int nx, int ny, int nz, float iso)
        {
            (_nx, _ny, _nz, _iso) = (nx, ny, nz, iso);
            (_ox, _oy, _oz) = (box.Min.X, box.Min.Y, box.Min.Z);
            (_sx, _sy, _sz) = (Step(box.Min.X, box.Max.X, nx), Step(box.Min.Y, box.Max.Y, ny), Step(box.Min.Z, box.Max.Z, nz));
            int plane = ny * nz;
            (_lower, _upper) = (new float[plane], new float[plane]);
            (_lowerY, _lowerZ, _upperY, _upperZ, _xEdges) = (new int[plane], new int[plane], new int[plane], new int[plane], new int[plane]);
        }

        public void AddPlane(ReadOnlySpan<float> values)
        {
            if (_planes >= _nx) throw new InvalidOperationException("MarchingCubes: more planes than nx");
            if (_planes == 0)
            {
                values.CopyTo(_lower);
                PlaneEdges(_lower, 0, _lowerY, _lowerZ);
            }
            else
            {
                values.CopyTo(_upper);
                PlaneEdges(_upper, _planes, _upperY, _upperZ);
                XEdges(_planes - 1);
                MarchSlab();
                (_lower, _upper) = (_upper, _lower);
                (_lowerY, _upperY) = (_upperY, _lowerY);
                (_lowerZ, _upperZ) = (_upperZ, _lowerZ);
            }
            _planes++;
        }

        public Mesh ToMesh()
        {
            if (_planes != _nx) throw new InvalidOperationException($"MarchingCubes: got {_planes} planes of {_nx}");
            return new Mesh([.. _positions], [.. _triangles]);
        }

        /// <summary>Grid spacing: nx points span the box, corners included (numpy linspace).</summary>
        static double Step(float lo, float hi, int n) => ((double)hi - lo) / (n - 1);

        /// <summary>Where the level crosses between values a and b, as a fraction of the way from a (NaN-safe).</summary>
        float Fraction(float a, float b)
        {
            float t = (_iso - a) / (b - a);
            return float.IsNaN(t) ? 0.5f : Math.Clamp(t, 0f, 1f);
        }

        int AddVertex(double gx, double gy, double gz)
        {
            _positions.Add(new Vector3((float)(_ox + gx * _sx), (float)(_oy + gy * _sy), (float)(_oz + gz * _sz)));
            return _positions.Count - 1;
        }

        void PlaneEdges(float[] v, int x, int[] yEdges, int[] zEdges)
        {
            for (int y = 0; y < _ny; y++)
            {
                for (int z = 0; z < _nz; z++)
                {
                    int i = y * _nz + z;
                    bool inside = v[i] > _iso;
                    yEdges[i] = y + 1 < _ny && inside != v[i + _nz] > _iso ? AddVertex(x, y + Fraction(v[i], v[i + _nz]), z) : -1;
                    zEdges[i] = z + 1 < _nz && inside != v[i + 1] > _iso ? AddVertex(x, y, z + Fraction(v[i], v[i + 1])) : -1;
                }
            }
        }

        void XEdges(int x)
        {
            for (int i = 0; i < _xEdges.Length; i++)
                _xEdges[i] = _lower[i] > _iso != _upper[i] > _iso ? AddVertex(x + Fraction(_lower[i], _upper[i]), i / _nz, i % _nz) : -1;
        }

        void MarchSlab()
        {
            var edgeVertex = new int[12];
            var tri = MarchingCubesTables.TriangleEdges;
            var start = MarchingCubesTables.TriangleStart;
            float iso = _iso;
            for (int y = 0; y + 1 < _ny; y++)
            {
                for (int z = 0; z + 1 < _nz; z++)
                {
                    int i = y * _nz + z, j = i + _nz; // (y, z) and (y + 1, z)
                    int index = (_lower[i] > iso ? 1 : 0) | (_upper[i] > iso ? 2 : 0) | (_upper[j] > iso ? 4 : 0) | (_lower[j] > iso ? 8 : 0)
                        | (_lower[i + 1] > iso ? 16 : 0) | (_upper[i + 1] > iso ? 32 : 0) | (_upper[j + 1] > iso ? 64 : 0) | (_lower[j + 1] > iso ? 128 : 0);
                    if (index is 0 or 255) continue;
                    edgeVertex[0] = _xEdges[i];
                    edgeVertex[1] = _upperY[i];
                    edgeVertex[2] = _xEdges[j];
                    edgeVertex[3] = _lowerY[i];
                    edgeVertex[4] = _xEdges[i + 1];
                    edgeVertex[5] = _upperY[i + 1];
                    edgeVertex[6] = _xEdges[j + 1];
                    edgeVertex[7] = _lowerY[i + 1];
                    edgeVertex[8] = _lowerZ[i];
                    edgeVertex[9] = _upperZ[i];
                    edgeVertex[10] = _upperZ[j];
                    edgeVertex[11] = _lowerZ[j];
                    for (int k = start[index]; k < start[index + 1]; k++) _triangles.Add(edgeVertex[tri[k]]);
                }
            }
        }
    }
}
