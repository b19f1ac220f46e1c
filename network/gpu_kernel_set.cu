#include "network/gpu_kernel_set.cuh"

#include <algorithm>

#include "cuda/blas.cuh"
#include "cuda/conv2d.cuh"
#include "cuda/conv2d_gemm.cuh"
#include "cuda/conv2d_implicit.cuh"
#include "cuda/gemm_ladder.cuh"
#include "cuda/linear.cuh"
#include "cuda/linear_gemm.cuh"
#include "cuda/lrn.cuh"

namespace alexnet {

void keep_or_allocate(DeviceTensorF& tensor, const Shape& shape, int device) {
  if (tensor.shape() != shape || tensor.device() != device || (tensor.size() == 0 && element_count(shape) != 0)) {
    tensor = DeviceTensorF(shape, device);
  }
}

namespace {

// Device memory for a kernel set's scratch work: grown when a layer needs more than any before, never shrunk, so
// that only the first step of a batch size allocates.
class Workspace {
 public:
  DeviceTensorF& at_least(const cuda::Context& context, std::int64_t floats) {
    if (tensor_.size() < floats) tensor_ = DeviceTensorF({floats}, context.device);
    return tensor_;
  }

 private:
  DeviceTensorF tensor_;
};

// The first kernels of the course: the tiled convolution and its gather backward (chapter 01), the tiled GEMM
// (chapter 07).
class ChapterKernels final : public TowerKernels {
 public:
  void conv2d_forward(const cuda::Context& context, const DeviceTensorF& x, const DeviceTensorF& weight,
                      const DeviceTensorF& bias, Conv2dParams params, DeviceTensorF& y) override {
    cuda::conv2d_forward(context, x, weight, bias, params, y);
  }
  void conv2d_backward(const cuda::Context& context, const DeviceTensorF& x, const DeviceTensorF& weight,
                       const DeviceTensorF& grad_y, Conv2dParams params, DeviceTensorF* grad_x,
                       DeviceTensorF& grad_weight, DeviceTensorF& grad_bias, cuda::GradientMode mode) override {
    if (grad_x == nullptr) {  // the course's backward always computes ∂x: into a scratch tensor
      keep_or_allocate(unused_grad_x_, x.shape(), context.device);
      grad_x = &unused_grad_x_;
    }
    cuda::conv2d_backward(context, x, weight, grad_y, params, *grad_x, grad_weight, grad_bias, mode);
  }
  void linear_forward(const cuda::Context& context, const DeviceTensorF& x, const DeviceTensorF& weight,
                      const DeviceTensorF& bias, DeviceTensorF& y) override {
    cuda::linear_forward(context, x, weight, bias, y);
  }
  void linear_backward(const cuda::Context& context, const DeviceTensorF& x, const DeviceTensorF& weight,
                       const DeviceTensorF& grad_y, DeviceTensorF& grad_x, DeviceTensorF& grad_weight,
                       DeviceTensorF& grad_bias, cuda::GradientMode mode) override {
    cuda::linear_backward(context, x, weight, grad_y, grad_x, grad_weight, grad_bias, mode);
  }
  void lrn_forward(const cuda::Context& context, const DeviceTensorF& x, LrnParams params,
                   DeviceTensorF& y) override {
    cuda::lrn_forward(context, x, params, y);
  }
  void lrn_backward(const cuda::Context& context, const DeviceTensorF& x, const DeviceTensorF& grad_y,
                    LrnParams params, DeviceTensorF& grad_x) override {
    cuda::lrn_backward(context, x, grad_y, params, grad_x);
  }

 private:
  DeviceTensorF unused_grad_x_;
};

// What the fast set and the course's own share: the fully connected layer written against a matrix product
// (cuda/linear_gemm.cuh), LRN walking its columns (chapter 15), and a workspace.
class ProductKernels : public TowerKernels {
 public:
  void linear_forward(const cuda::Context& context, const DeviceTensorF& x, const DeviceTensorF& weight,
                      const DeviceTensorF& bias, DeviceTensorF& y) override {
    cuda::linear_forward_gemm(context, product(), x, weight, bias, y);
  }
  void linear_backward(const cuda::Context& context, const DeviceTensorF& x, const DeviceTensorF& weight,
                       const DeviceTensorF& grad_y, DeviceTensorF& grad_x, DeviceTensorF& grad_weight,
                       DeviceTensorF& grad_bias, cuda::GradientMode mode) override {
    cuda::linear_backward_gemm(context, product(), x, weight, grad_y, grad_x, grad_weight, grad_bias,
                               workspace_.at_least(context, x.dim(0)), mode);
  }
  void lrn_forward(const cuda::Context& context, const DeviceTensorF& x, LrnParams params,
                   DeviceTensorF& y) override {
    cuda::lrn_forward_by_column(context, x, params, y);
  }
  void lrn_backward(const cuda::Context& context, const DeviceTensorF& x, const DeviceTensorF& grad_y,
                    LrnParams params, DeviceTensorF& grad_x) override {
    cuda::lrn_backward_by_column(context, x, grad_y, params, grad_x);
  }

 protected:
  // The matrix product the fully connected layers run on.
  virtual const cuda::MatrixProduct& product() const = 0;

  Workspace workspace_;  // the convolutions' scratch memory, and the ones that sum ∂b
};

// The fast path: im2col + cuBLAS SGEMM (cuda/conv2d_gemm.cuh), fully connected layers on cuBLAS.
class FastKernels final : public ProductKernels {
 public:
  FastKernels(const GpuOptions& options, int device)
      : blas_(device, options.precision == GpuPrecision::Tf32 ? cuda::Precision::Tf32 : cuda::Precision::Fp32),
        limit_floats_(std::max<std::int64_t>(1, options.workspace_bytes / static_cast<std::int64_t>(sizeof(float)))) {}

  void conv2d_forward(const cuda::Context& context, const DeviceTensorF& x, const DeviceTensorF& weight,
                      const DeviceTensorF& bias, Conv2dParams params, DeviceTensorF& y) override {
    cuda::conv2d_forward_gemm(context, blas_, x, weight, bias, params, y, conv_workspace(context, x, weight, params));
  }
  void conv2d_backward(const cuda::Context& context, const DeviceTensorF& x, const DeviceTensorF& weight,
                       const DeviceTensorF& grad_y, Conv2dParams params, DeviceTensorF* grad_x,
                       DeviceTensorF& grad_weight, DeviceTensorF& grad_bias, cuda::GradientMode mode) override {
    cuda::conv2d_backward_gemm(context, blas_, x, weight, grad_y, params, grad_x, grad_weight, grad_bias,
                               conv_workspace(context, x, weight, params), mode);
  }

 private:
  const cuda::MatrixProduct& product() const override { return blas_; }

  // The whole batch's columns when they fit the limit, else as many images as do (at least one).
  DeviceTensorF& conv_workspace(const cuda::Context& context, const DeviceTensorF& x, const DeviceTensorF& weight,
                                Conv2dParams params) {
    const std::int64_t per_image = cuda::conv2d_gemm_workspace_floats(x.shape(), weight.shape(), params);
    const std::int64_t images = std::clamp<std::int64_t>(limit_floats_ / per_image, 1, x.dim(0));
    return workspace_.at_least(context, images * per_image);
  }

  cuda::Blas blas_;
  std::int64_t limit_floats_;
};

// The course's own fast kernels, no library: the implicit-GEMM convolution and the fully connected layer on the
// SGEMM ladder's best step (chapter 16).
class CourseKernels final : public ProductKernels {
 public:
  void conv2d_forward(const cuda::Context& context, const DeviceTensorF& x, const DeviceTensorF& weight,
                      const DeviceTensorF& bias, Conv2dParams params, DeviceTensorF& y) override {
    cuda::conv2d_forward_implicit(context, x, weight, bias, params, y);
  }
  void conv2d_backward(const cuda::Context& context, const DeviceTensorF& x, const DeviceTensorF& weight,
                       const DeviceTensorF& grad_y, Conv2dParams params, DeviceTensorF* grad_x,
                       DeviceTensorF& grad_weight, DeviceTensorF& grad_bias, cuda::GradientMode mode) override {
    const std::int64_t floats = cuda::conv2d_implicit_workspace_floats(x.shape(), weight.shape(), params);
    cuda::conv2d_backward_implicit(context, x, weight, grad_y, params, grad_x, grad_weight, grad_bias,
                                   workspace_.at_least(context, floats), mode);
  }

 private:
  const cuda::MatrixProduct& product() const override { return ladder_; }

  cuda::LadderProduct ladder_;
};

}  // namespace

std::unique_ptr<TowerKernels> make_tower_kernels(const GpuOptions& options, int device) {
  require_supported(options);
  switch (options.kernels) {
    case GpuKernels::Course: return std::make_unique<CourseKernels>();
    case GpuKernels::Chapters: return std::make_unique<ChapterKernels>();
    case GpuKernels::Fast: break;
  }
  return std::make_unique<FastKernels>(options, device);
}

}  // namespace alexnet
