#include "network/gpu_kernel_set.cuh"

#include <algorithm>

#include "cuda/blas.cuh"
#include "cuda/conv2d.cuh"
#include "cuda/conv2d_gemm.cuh"
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

// The course's kernels: the tiled convolution and its gather backward (chapter 01), the tiled GEMM (chapter 07).
class CourseKernels final : public TowerKernels {
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

// The fast path: im2col + cuBLAS SGEMM (cuda/conv2d_gemm.cuh), fully connected layers on cuBLAS.
class FastKernels final : public TowerKernels {
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
  void linear_forward(const cuda::Context& context, const DeviceTensorF& x, const DeviceTensorF& weight,
                      const DeviceTensorF& bias, DeviceTensorF& y) override {
    cuda::linear_forward_gemm(context, blas_, x, weight, bias, y);
  }
  void linear_backward(const cuda::Context& context, const DeviceTensorF& x, const DeviceTensorF& weight,
                       const DeviceTensorF& grad_y, DeviceTensorF& grad_x, DeviceTensorF& grad_weight,
                       DeviceTensorF& grad_bias, cuda::GradientMode mode) override {
    cuda::linear_backward_gemm(context, blas_, x, weight, grad_y, grad_x, grad_weight, grad_bias,
                               workspace(context, x.dim(0)), mode);
  }
  void lrn_forward(const cuda::Context& context, const DeviceTensorF& x, LrnParams params,
                   DeviceTensorF& y) override {
    cuda::lrn_forward_by_column(context, x, params, y);
  }
  void lrn_backward(const cuda::Context& context, const DeviceTensorF& x, const DeviceTensorF& grad_y,
                    LrnParams params, DeviceTensorF& grad_x) override {
    cuda::lrn_backward_by_column(context, x, grad_y, params, grad_x);
  }

 private:
  // At least `floats` of workspace: grown when a layer needs more than any before, never shrunk.
  DeviceTensorF& workspace(const cuda::Context& context, std::int64_t floats) {
    if (workspace_.size() < floats) workspace_ = DeviceTensorF({floats}, context.device);
    return workspace_;
  }
  // The whole batch's columns when they fit the limit, else as many images as do (at least one).
  DeviceTensorF& conv_workspace(const cuda::Context& context, const DeviceTensorF& x, const DeviceTensorF& weight,
                                Conv2dParams params) {
    const std::int64_t per_image = cuda::conv2d_gemm_workspace_floats(x.shape(), weight.shape(), params);
    const std::int64_t images = std::clamp<std::int64_t>(limit_floats_ / per_image, 1, x.dim(0));
    return workspace(context, images * per_image);
  }

  cuda::Blas blas_;
  std::int64_t limit_floats_;
  DeviceTensorF workspace_;
};

}  // namespace

std::unique_ptr<TowerKernels> make_tower_kernels(const GpuOptions& options, int device) {
  require_supported(options);
  if (options.kernels == GpuKernels::Course) return std::make_unique<CourseKernels>();
  return std::make_unique<FastKernels>(options, device);
}

}  // namespace alexnet
