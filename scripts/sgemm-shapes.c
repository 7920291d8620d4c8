/* The machine's sgemm rate at the shapes the Float32 training path multiplies (docs/performance.md).
 *   gcc -O2 scripts/sgemm-shapes.c -o /tmp/sgemm-shapes $(pkg-config --cflags --libs openblas) && /tmp/sgemm-shapes
 * Prints the best of 20 runs of each product, with OpenBLAS on 1 and on 2 threads. */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
void run(const char*name,int ta,int tb,int M,int N,int K,int th){
  float*A=malloc(sizeof(float)*M*K),*B=malloc(sizeof(float)*K*N),*C=malloc(sizeof(float)*M*N);
  for(long i=0;i<(long)M*K;i++)A[i]=1e-3*(i%7);for(long i=0;i<(long)K*N;i++)B[i]=1e-3*(i%5);
  openblas_set_num_threads(th);
  int lda=ta?M:K, ldb=tb?K:N;
  double best=1e9;for(int r=0;r<20;r++){double t=now();
  cblas_sgemm(CblasRowMajor,ta?CblasTrans:CblasNoTrans,tb?CblasTrans:CblasNoTrans,M,N,K,1,A,lda,B,ldb,0,C,N);t=now()-t;if(t<best)best=t;}
  printf("%s threads %d: %.3f ms %.1f GFLOP/s\n",name,th,best*1e3,2.0*M*N*K/best/1e9);
  free(A);free(B);free(C);}
int main(){for(int th=1;th<=2;th++){
 run("conv2 fwd  W[32,400]xC[400,12544]",0,0,32,12544,400,th);
 run("conv2 dW   dY[32,12544]xC^T",0,1,32,400,12544,th);
 run("conv2 dX   W^T[400,32]xdY[32,12544]",1,0,400,12544,32,th);
 run("conv1 fwd  W[16,25]xC[25,50176]",0,0,16,50176,25,th);
 run("conv1 dW",0,1,16,25,50176,th);
 run("mlp fwd 32x784x50",0,0,32,50,784,th);
 run("mlp dW1 784x50 k32",1,0,784,50,32,th);
}}
